"""Settings for the test suite: the normal settings with test switches turned on."""

import os

os.environ["HUIGUAN_TESTING"] = "1"
os.environ.setdefault("HUIGUAN_VAR_DIR", os.path.join(os.path.dirname(os.path.dirname(__file__)), "var", "test"))

from backend.settings import *  # noqa: E402, F403
