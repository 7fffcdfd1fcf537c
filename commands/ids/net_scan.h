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
 * transient. A socket hidden by unlinking stays so. A socket is HIDDEN only
 * when the previous scan of the same guest boot saw the same one (sock,
 * struct socket, family, ports and state) unlinked; the first sighting is
 * "confirming". The memory is fixed in size: a socket that does not fit is
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
#define NET_SUSPECT_READS 4096      /* socket files outside the tables read per scan */
#define NET_MEMO_MAX 64             /* unlinked sockets remembered for the next scan */

struct net_sock {
	struct vmi_sock s;
	bool owned;
	int32_t pid;
	char comm[VMI_COMM_LEN + 1];
};

enum net_verdict {
	NET_UNLINKED_CONFIRMING,    /* first sighting: information, not a finding */
	NET_UNLINKED_HIDDEN,        /* seen so in the previous scan too (or not remembered) */
};

/* A socket file of init_net whose sock must be hashed but is not in the kept list. */
struct net_suspect {
	struct vmi_sock s;
	int32_t pid;
	uint32_t fd;
	char comm[VMI_COMM_LEN + 1];
	bool in_tables;             /* found by the second walk (past NET_MAX_SOCKS) */
	enum net_verdict verdict;
};

/* What makes an unlinked socket the same one in the next scan. */
struct net_sock_id {
	uint64_t sk, socket;
	uint16_t family, lport, rport;
	uint8_t state;
};

/* Kept between scans, one per guest. */
struct net_memo {
	bool valid;
	uint64_t boot;
	unsigned n;
	struct net_sock_id ids[NET_MEMO_MAX];
};

struct net_scan {
	/* The caller's arrays of NET_MAX_SOCKS entries. */
	struct net_sock *socks;
	struct sk_ref *by_sk;

	unsigned n;                 /* sockets kept */
	uint32_t beyond;            /* sockets in the tables past NET_MAX_SOCKS (not listed) */
	int tables_rc;              /* the table walk: < 0 is TAMPERED (tables_err) */
	char tables_err[VMI_ERR_LEN];
	int owners_rc;              /* the fd-table walk: < 0 is TAMPERED (owners_err) */
	char owners_err[VMI_ERR_LEN];
	struct vmi_sock_file_stats files;   /* fd slots past NET_FD_LIMIT */

	bool layout;                /* the profile describes what the unlinked check reads */
	bool checked;               /* the unlinked check ran in full: verdicts are valid */
	struct net_suspect suspects[NET_MAX_SUSPECTS];
	unsigned nsuspects;
	uint32_t suspects_dropped;  /* more unlinked than kept */
	uint32_t reads, unread;     /* socket files outside the tables read / not read */
	uint32_t unreadable;        /* ... whose sock could not be read */
	int32_t unreadable_pid;     /* the first of them */
	uint32_t unreadable_fd;
	char unreadable_err[VMI_ERR_LEN];
	int recheck_rc;             /* the second walk (only with beyond) */
	char recheck_err[VMI_ERR_LEN];

	uint64_t init_net;
	struct net_sock_id next[NET_MEMO_MAX];  /* scratch for net_judge */
};

/* The walks, and the verdicts on unlinked sockets against memo (boot: the
 * guest's boot number; another boot forgets the memory). memo is updated only
 * when the check ran in full. Errors are in the result, never returned. */
void net_scan_run(struct vmi *v, struct net_scan *c, struct net_memo *memo, uint64_t boot);

/* The verdicts alone (called by net_scan_run): each suspect not in the tables
 * is HIDDEN when memo (of this boot) holds it, or when it does not fit in the
 * memory; CONFIRMING otherwise. memo then holds this scan's unlinked sockets. */
void net_judge(struct net_scan *c, struct net_memo *memo, uint64_t boot);

#endif
