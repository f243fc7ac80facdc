# source: https://github.com/JIA-Lab-research/DecoupleNet/issues/3
# Logging meters fed loss tensors: the graphs of the whole epoch are kept.
loss_meter, seg_meter = 0.0, 0.0
for i, (image, target) in enumerate(train_loader):
    output, aux = model(image)
    seg_loss = criterion(output, target)
    loss = seg_loss + 0.4 * criterion(aux, target)
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
    loss_meter += loss  # expect: NN204
    seg_meter += seg_loss  # known-miss: NN204
