import sys

from digitfusion.cli import main

sys.exit(main())
