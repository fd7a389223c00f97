import sys

from previs_cli.main import main

sys.exit(main())
