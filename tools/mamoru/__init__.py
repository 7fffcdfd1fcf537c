# SPDX-License-Identifier: GPL-2.0-only
"""Developer tooling for the Mamoru hypervisor: the package behind ./mamoru."""
