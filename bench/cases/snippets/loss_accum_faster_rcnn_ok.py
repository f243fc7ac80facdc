# source: https://github.com/bubbliiiing/faster-rcnn-pytorch/issues/27
# The fix from the thread: accumulate float(loss).
total_loss = 0
for iteration, (imgs, boxes, labels) in enumerate(gen):
    optimizer.zero_grad()
    losses = train_util.train_step(imgs, boxes, labels)
    loss = losses[-1]
    loss.backward()
    optimizer.step()
    total_loss += float(loss)
