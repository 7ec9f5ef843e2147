# A stand-in for a PyFlink application's entry point: the tests upload this directory as the code asset.
print("stream analytics test code")
