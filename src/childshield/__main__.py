from childshield.cli import main

main()
