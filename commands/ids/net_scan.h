/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * `ids net`'s scan without its reporting (commands/ids/net.c prints it): the
 * sockets of the kernel's hash tables with their owners, the socket files
 * whose sock must be hashed but is in no table (unlinked), and what the scan
 * had to leave out. Portable: built for the host and tested there over
 * crafted guest memory (tests/vmi/host/vmi_tool.c "netscan").
 *
 * Unlinked sockets are confirmed over two scans. The kernel unhashes a socket
 * before it stores its new state (close, a TCP state change), so a guest
 * paused in that window shows a bound or connected socket in no table: a
 * transient. A socket hidden by unlinking stays so. A socket is HIDDEN when
 * an earlier scan of the same guest boot saw the same one (sock, struct
 * socket, family, protocol: not its ports or state, which a rootkit can
 * rewrite) unlinked, the guest ran in between (its progress value changed:
 * two scans of a paused guest see the same window), and either that was the
 * scan before or the socket was back in a table in the scans since (re-hashed
 * between scans, to dodge two sightings in a row) within NET_MEMO_SCANS scans.
 * One seen closed, unbound or gone in between is forgotten. The first sighting
 * is "confirming". The memory is fixed in size: a socket that does not fit is
 * reported at once (fails closed), never forgotten.
 */
#ifndef IDS_NET_SCAN_H
#define IDS_NET_SCAN_H

#include <mamoru/vmi/vmi.h>

#include "sock_index.h"

#define NET_MAX_SOCKS 2048          /* sockets listed (and given owners) per scan */
#define NET_WALK_LIMIT (1u << 16)   /* table entries walked in all: past it, aliased chains */
#define NET_TASK_LIMIT 32768
#define NET_FD_LIMIT 65536          /* fd slots walked per process */
#define NET_MAX_SUSPECTS 64         /* unlinked sockets kept per scan */
#define NET_SUSPECT_READS 4096      /* distinct socks outside the tables read per scan */
#define NET_MEMO_MAX 64             /* unlinked sockets remembered for later scans */
#define NET_MEMO_SCANS 3            /* ... for this many scans after their last sighting */

struct net_sock {
	struct vmi_sock s;
	bool owned;
	int32_t pid;
	char comm[VMI_COMM_LEN + 1];
};

enum net_verdict {
	NET_UNLINKED_CONFIRMING,    /* first sighting: information, not a finding */
	NET_UNLINKED_HIDDEN,        /* seen so before (net_scan.h's rules), or not remembered */
};

enum net_hidden_why {
	NET_WHY_NONE,
	NET_WHY_AGAIN,              /* unlinked in the scan before too (or confirmed earlier) */
	NET_WHY_REHASHED,           /* unlinked, then in a table, now unlinked again */
	NET_WHY_NO_ROOM,            /* the memory is full: reported at once */
};

/* A socket file of init_net whose sock must be hashed but is in no table. */
struct net_suspect {
	struct vmi_sock s;
	int32_t pid;
	uint32_t fd;
	char comm[VMI_COMM_LEN + 1];
	enum net_verdict verdict;
	enum net_hidden_why why;
};

/* What makes an unlinked socket the same one in a later scan. */
struct net_sock_id {
	uint64_t sk, socket;
	uint16_t family;
	uint8_t proto;
};

struct net_memo_entry {
	struct net_sock_id id;
	uint32_t last;              /* the epoch it was last seen unlinked in */
	bool rehashed;              /* seen in a table since then */
	bool hidden;                /* confirmed: HIDDEN while it stays unlinked */
};

/* Kept between scans, one per guest. An epoch is a run of scans between which
 * the guest did not run (same progress value). */
struct net_memo {
	bool valid;
	uint64_t boot, progress;
	uint32_t epoch;
	unsigned n;
	struct net_memo_entry e[NET_MEMO_MAX];
};

struct net_scan {
	/* The caller's arrays: NET_MAX_SOCKS entries each, and NET_WALK_LIMIT for in_table
	 * (every sock in the tables, sorted: membership is exact however many there are). */
	struct net_sock *socks;
	struct sk_ref *by_sk;
	uint64_t *in_table;

	unsigned n;                 /* sockets kept */
	uint32_t ntable;            /* sockets in the tables (in_table's entries) */
	uint32_t beyond;            /* sockets in the tables past NET_MAX_SOCKS (not listed) */
	int tables_rc;              /* the table walk: < 0 is TAMPERED (tables_err) */
	char tables_err[VMI_ERR_LEN];
	int owners_rc;              /* the fd-table walk: < 0 is TAMPERED (owners_err) */
	char owners_err[VMI_ERR_LEN];
	struct vmi_sock_file_stats files;   /* fd slots past NET_FD_LIMIT */

	bool layout;                /* the profile describes what the unlinked check reads */
	char layout_err[VMI_ERR_LEN];       /* ... and why not */
	bool checked;               /* the unlinked check ran in full: verdicts are valid */
	struct net_suspect suspects[NET_MAX_SUSPECTS];
	unsigned nsuspects;
	uint32_t suspects_dropped;  /* more unlinked than kept */
	uint32_t reads;             /* distinct socks outside the tables read */
	uint32_t unread;            /* socket files outside the tables not read (past the limit) */
	uint32_t unreadable;        /* ... whose sock could not be read */
	int32_t unreadable_pid;     /* the first of them */
	uint32_t unreadable_fd;
	char unreadable_err[VMI_ERR_LEN];
	uint64_t read_sks[NET_SUSPECT_READS];  /* the socks read (sorted): each is read once */

	uint64_t init_net;
	struct net_memo_entry next[NET_MEMO_MAX];  /* scratch for net_judge */
};

/* The walks, and the verdicts on unlinked sockets against memo (boot: the
 * guest's boot number, another boot forgets the memory; progress: a value
 * that changes whenever the guest runs, such as its exit count). memo is
 * updated only when the check ran in full. Errors are in the result, never
 * returned. */
void net_scan_run(struct vmi *v, struct net_scan *c, struct net_memo *memo, uint64_t boot,
		  uint64_t progress);

/* The verdicts alone (called by net_scan_run), by the rules above; memo then
 * holds this scan's unlinked sockets and the remembered ones still in a table. */
void net_judge(struct net_scan *c, struct net_memo *memo, uint64_t boot, uint64_t progress);

#endif
