from alva.cli import main

main()
