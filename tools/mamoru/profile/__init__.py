# SPDX-License-Identifier: GPL-2.0-only
"""Guest kernel profiles for the IDS: symbols, struct offsets and layout constants of one
Linux build, in the binary format of docs/profile-format.md.

    build_profile(kernel, system_map, config) -> BuildResult (inputs.py, builder.py)
    encode(profile) -> bytes, decode(bytes) -> Profile, show_lines(profile) (format.py)
"""

from mamoru.profile.builder import BuildResult, build_profile
from mamoru.profile.errors import ProfileError
from mamoru.profile.format import Profile, decode, encode, show_lines

__all__ = ["BuildResult", "Profile", "ProfileError", "build_profile", "decode", "encode",
           "show_lines"]
