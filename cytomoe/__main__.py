from cytomoe.cli import program

program()
