# SPDX-License-Identifier: GPL-2.0-only
"""The one exception the profile tool raises for bad or unsupported input."""


class ProfileError(Exception):
    """A corrupt, unsupported or incomplete input; str() is a one-line reason."""
