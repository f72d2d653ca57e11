from cytomoe.cli import main

raise SystemExit(main())
