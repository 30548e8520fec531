from tcalc.cli import main

raise SystemExit(main())
