from handout.cli import run

run()
