"""Settings for the test suite: the normal settings with test switches turned on."""

import os

os.environ["HUIGUAN_TESTING"] = "1"
os.environ.setdefault("HUIGUAN_VAR_DIR", os.path.join(os.path.dirname(os.path.dirname(__file__)), "var", "test"))

from backend.settings import *  # noqa: E402, F403

# A file, not ":memory:": the embedded default's WAL mode and busy timeout only exist on a file,
# and threaded tests need every connection to see the same database.
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":  # noqa: F405
    DATABASES["default"]["TEST"]["NAME"] = str(VAR_DIR / "test.sqlite3")  # noqa: F405
