from mdm.formats.common import *  # noqa: F403
