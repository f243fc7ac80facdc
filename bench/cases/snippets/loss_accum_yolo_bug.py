# source: https://github.com/bubbliiiing/yolo3-pytorch/issues/3
# One epoch of a detector: total_loss keeps each iteration's graph alive.
def fit_one_epoch(net, yolo_loss, optimizer, gen):
    total_loss = 0
    for iteration, (images, targets) in enumerate(gen):
        optimizer.zero_grad()
        outputs = net(images)
        loss = sum(yolo_loss(o, targets) for o in outputs)
        loss.backward()
        optimizer.step()
        total_loss += loss  # expect: NN204
    return total_loss / (iteration + 1)
