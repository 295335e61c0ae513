from minikctl.cli.main import main

main()
