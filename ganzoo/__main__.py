import sys

from ganzoo.cli.main import main

sys.exit(main())
