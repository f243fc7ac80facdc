# source: https://github.com/allenai/allennlp/issues/456
# Calling the module: hooks run.
def predict(model, batches):
    model.eval()
    outputs = []
    with torch.no_grad():
        for inputs in batches:
            outputs.append(model(**inputs))
    return outputs
