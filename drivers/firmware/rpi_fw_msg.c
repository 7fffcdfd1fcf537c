/* SPDX-License-Identifier: GPL-2.0-only */
/* Encoding and checking property interface messages (see rpi_fw_msg.h). */
#include "rpi_fw_msg.h"

const char *rpi_fw_strerror(int err)
{
	switch (err) {
	case RPI_FW_OK: return "ok";
	case RPI_FW_ERR_NOANSWER: return "the firmware did not answer the request";
	case RPI_FW_ERR_REFUSED: return "the firmware could not parse the request";
	case RPI_FW_ERR_TAG: return "the firmware did not answer the tag";
	case RPI_FW_ERR_VALUE: return "the firmware's answer is for another clock or 0 Hz";
	case RPI_FW_ERR_TIMEOUT: return "the mailbox did not respond";
	case RPI_FW_ERR_NODEV: return "no firmware mailbox in the device tree";
	case RPI_FW_ERR_ADDRESS: return "no bus address for the message buffer";
	case RPI_FW_ERR_POWER_MISSING: return "the firmware says it has no such power device";
	case RPI_FW_ERR_POWER_STATE: return "the firmware left the device's power in the other state";
	case RPI_FW_ERR_DOMAIN: return "its power domain is not one the firmware switches for it";
	default: return "unknown error";
	}
}

void rpi_fw_clock_request(uint32_t msg[RPI_FW_CLOCK_MSG_WORDS], uint32_t clock_id)
{
	msg[0] = RPI_FW_CLOCK_MSG_WORDS * 4;   /* buffer size in bytes */
	msg[1] = RPI_FW_REQUEST;
	msg[2] = RPI_FW_TAG_GET_CLOCK_RATE;
	msg[3] = 8;                            /* value buffer: clock id, rate */
	msg[4] = 0;                            /* request; 4 bytes of it used */
	msg[5] = clock_id;
	msg[6] = 0;
	msg[7] = 0;                            /* end tag */
}

int rpi_fw_clock_response(const uint32_t msg[RPI_FW_CLOCK_MSG_WORDS], uint32_t clock_id,
			  uint32_t *hz)
{
	if (msg[1] == RPI_FW_RESPONSE_ERROR)
		return RPI_FW_ERR_REFUSED;
	if (msg[1] != RPI_FW_RESPONSE_OK)
		return RPI_FW_ERR_NOANSWER;
	if (msg[2] != RPI_FW_TAG_GET_CLOCK_RATE || !(msg[4] & RPI_FW_TAG_RESPONSE) ||
	    (msg[4] & ~RPI_FW_TAG_RESPONSE) != 8)
		return RPI_FW_ERR_TAG;
	if (msg[5] != clock_id || msg[6] == 0)
		return RPI_FW_ERR_VALUE;
	*hz = msg[6];
	return RPI_FW_OK;
}

void rpi_fw_power_request(uint32_t msg[RPI_FW_POWER_MSG_WORDS], uint32_t device, bool on)
{
	msg[0] = RPI_FW_POWER_MSG_WORDS * 4;
	msg[1] = RPI_FW_REQUEST;
	msg[2] = RPI_FW_TAG_SET_POWER_STATE;
	msg[3] = 8;                            /* value buffer: device id, state */
	msg[4] = 0;
	msg[5] = device;
	msg[6] = on ? RPI_FW_POWER_ON | RPI_FW_POWER_WAIT : RPI_FW_POWER_WAIT;
	msg[7] = 0;                            /* end tag */
}

int rpi_fw_power_response(const uint32_t msg[RPI_FW_POWER_MSG_WORDS], uint32_t device, bool on)
{
	if (msg[1] == RPI_FW_RESPONSE_ERROR)
		return RPI_FW_ERR_REFUSED;
	if (msg[1] != RPI_FW_RESPONSE_OK)
		return RPI_FW_ERR_NOANSWER;
	if (msg[2] != RPI_FW_TAG_SET_POWER_STATE || !(msg[4] & RPI_FW_TAG_RESPONSE) ||
	    (msg[4] & ~RPI_FW_TAG_RESPONSE) != 8)
		return RPI_FW_ERR_TAG;
	if (msg[5] != device)
		return RPI_FW_ERR_VALUE;
	if (msg[6] & RPI_FW_POWER_MISSING)
		return RPI_FW_ERR_POWER_MISSING;
	if (!(msg[6] & RPI_FW_POWER_ON) != !on)
		return RPI_FW_ERR_POWER_STATE;
	return RPI_FW_OK;
}

int rpi_fw_power_device(const struct fdt *fdt, int node, uint32_t *device)
{
	int len;
	const uint8_t *p = fdt_getprop(fdt, node, "power-domains", &len);
	if (!p || len < 4)
		return RPI_FW_ERR_DOMAIN;
	int provider = fdt_node_by_phandle(fdt, fdt32_to_cpu(p));
	if (provider < 0 || !fdt_is_compatible(fdt, provider, "raspberrypi,bcm2835-power"))
		return RPI_FW_ERR_DOMAIN;
	/* One domain, one cell (#power-domain-cells = 1): <&power RPI_POWER_DOMAIN_USB>. */
	uint32_t ncells;
	if (len != 8 || fdt_getprop_u32(fdt, provider, "#power-domain-cells", &ncells) ||
	    ncells != 1 || fdt32_to_cpu(p + 4) != RPI_FW_DT_DOMAIN_USB)
		return RPI_FW_ERR_DOMAIN;
	*device = RPI_FW_POWER_USB_HCD;
	return RPI_FW_OK;
}

int rpi_fw_bus_address(const struct fdt *fdt, int dev, uint64_t phys, uint64_t len, uint32_t *bus)
{
	int parent = fdt_parent(fdt, dev);
	struct fdt_dma_range w[8];
	int n = parent >= 0 ? fdt_dma_ranges(fdt, parent, w, 8) : FDT_ERR_NOTFOUND;
	if (n < 0)
		return RPI_FW_ERR_ADDRESS;
	if (n == 0) {           /* an empty dma-ranges: bus addresses are CPU addresses */
		if (phys + len < phys || phys + len > 0x100000000ull)
			return RPI_FW_ERR_ADDRESS;
		*bus = (uint32_t)phys;
		return RPI_FW_OK;
	}
	for (int i = 0; i < n; i++) {
		if (phys < w[i].parent || phys - w[i].parent >= w[i].size ||
		    len > w[i].size - (phys - w[i].parent))
			continue;
		uint64_t b = w[i].bus + (phys - w[i].parent);
		if (b + len < b || b + len > 0x100000000ull)
			return RPI_FW_ERR_ADDRESS;
		*bus = (uint32_t)b;
		return RPI_FW_OK;
	}
	return RPI_FW_ERR_ADDRESS;
}
