# SPDX-License-Identifier: GPL-2.0-only
"""The ARMv5 guest patcher: replaces every sensitive instruction of a 32-bit ARM Linux
kernel (vmlinux) or module (.ko) by an SVC the hypervisor decodes (docs/armv5-patching.md).

  encoding.py   the SVC immediate: kinds, field layout, encode/decode (the C header mirrors it)
  classify.py   which instruction words are sensitive (and cp14/cp15 counting)
  elfscan.py    ELF32 reading: executable sections, mapping-symbol regions, relocations, Image
  patcher.py    the patch itself, outputs and the report
"""
