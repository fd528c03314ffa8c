"""Settings for the test suite: the production settings with test switches on."""

import os
import tempfile

os.environ["COURTYARD_TESTING"] = "1"
os.environ.setdefault("COURTYARD_DATA_DIR", tempfile.mkdtemp(prefix="courtyard-test-"))

from .settings import *  # noqa: E402, F403

LANGUAGE_CODE = "en"
