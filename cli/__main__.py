"""`python -m cli`: the `hocso` command."""

import sys

from cli import main

sys.exit(main())
