from bandeng.cli import main

raise SystemExit(main())
