print("medflow")
