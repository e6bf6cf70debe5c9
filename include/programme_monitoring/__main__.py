import sys

from programme_monitoring.cli import main

sys.exit(main())
