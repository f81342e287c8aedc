from watchhouse.cli import main

main()
