import sys

from medtui.cli import main

sys.exit(main())
