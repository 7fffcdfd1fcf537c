"""Developer tooling for the Mamoru hypervisor: the package behind ./mamoru."""
