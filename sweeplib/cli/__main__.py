import sys

from sweeplib.cli import main

sys.exit(main())
