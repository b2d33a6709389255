from minbert_lab.cli import main

raise SystemExit(main())
