"""Object-detection utilities written in plain torch, the way SSD/RetinaNet tutorials write them:
box format conversion, pairwise IoU with broadcasting and clamp, greedy non-maximum suppression
(sort + a keep loop) and a batched NMS through the coordinate-offset trick, anchor generation with
meshgrid, anchor-to-ground-truth matching (max/argmax over both axes, forcing each ground truth's
best anchor, index_fill_), box encoding/decoding with variances, hard-negative mining with a double
sort, smooth L1 + cross-entropy MultiBox loss on a tiny conv head trained for a few steps, and
post-processing with topk, score thresholds and masked selection.
"""
import math

import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(0)


def cxcywh_to_xyxy(b):
    cx, cy, w, h = b.unbind(-1)
    return torch.stack([cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2], dim=-1)


def xyxy_to_cxcywh(b):
    x0, y0, x1, y1 = b.unbind(-1)
    return torch.stack([(x0 + x1) / 2, (y0 + y1) / 2, x1 - x0, y1 - y0], dim=-1)


def box_area(b):
    return (b[:, 2] - b[:, 0]) * (b[:, 3] - b[:, 1])


def box_iou(a, b):
    area_a, area_b = box_area(a), box_area(b)
    lt = torch.max(a[:, None, :2], b[None, :, :2])
    rb = torch.min(a[:, None, 2:], b[None, :, 2:])
    wh = (rb - lt).clamp(min=0)
    inter = wh[..., 0] * wh[..., 1]
    return inter / (area_a[:, None] + area_b[None, :] - inter)


def generalized_iou(a, b):
    iou = box_iou(a, b)
    lt = torch.min(a[:, None, :2], b[None, :, :2])
    rb = torch.max(a[:, None, 2:], b[None, :, 2:])
    hull = (rb - lt).clamp(min=0).prod(-1)
    inter_union = box_area(a)[:, None] + box_area(b)[None, :]
    union = inter_union - iou * inter_union / (1 + iou)
    return iou - (hull - union) / hull


def nms(boxes, scores, iou_threshold):
    order = scores.argsort(descending=True)
    keep = []
    while order.numel() > 0:
        i = order[0]
        keep.append(i.item())
        if order.numel() == 1:
            break
        ious = box_iou(boxes[i].unsqueeze(0), boxes[order[1:]]).squeeze(0)
        order = order[1:][ious <= iou_threshold]
    return torch.tensor(keep, dtype=torch.long)


def batched_nms(boxes, scores, labels, iou_threshold):
    offsets = labels.to(boxes) * (boxes.max() + 1)
    return nms(boxes + offsets[:, None], scores, iou_threshold)


# ---- the box utilities on hand-made boxes -------------------------------------------------------
gt = torch.tensor([[0.10, 0.10, 0.40, 0.50], [0.55, 0.30, 0.90, 0.80], [0.20, 0.60, 0.45, 0.95]])
print("gt cxcywh", xyxy_to_cxcywh(gt))
print("round trip", torch.allclose(cxcywh_to_xyxy(xyxy_to_cxcywh(gt)), gt))
print("areas", box_area(gt))
print("iou self diag", box_iou(gt, gt).diagonal())
print("giou", generalized_iou(gt, gt.flip(0)))

cand = gt.repeat_interleave(3, dim=0) + 0.03 * torch.randn(9, 4)
cand_scores = torch.rand(9)
cand_labels = torch.tensor([0, 0, 1, 1, 1, 0, 2, 2, 2])
kept = nms(cand, cand_scores, 0.5)
print("nms keep", kept.tolist(), "scores", cand_scores[kept])
print("batched nms keep", batched_nms(cand, cand_scores, cand_labels, 0.5).tolist())

# ---- anchors -----------------------------------------------------------------------------------
feat = 4
sizes = [0.2, 0.4]
ratios = [0.5, 1.0, 2.0]
centers = (torch.arange(feat, dtype=torch.float32) + 0.5) / feat
cy, cx = torch.meshgrid(centers, centers, indexing="ij")
shapes = torch.tensor([[s * math.sqrt(r), s / math.sqrt(r)] for s in sizes for r in ratios])
A = shapes.shape[0]
anchors = torch.cat([torch.stack([cx, cy], -1).reshape(-1, 1, 2).expand(-1, A, 2),
                     shapes.expand(feat * feat, A, 2)], dim=-1).reshape(-1, 4)
print("anchors", anchors.shape, anchors[:2])
anchors_xyxy = cxcywh_to_xyxy(anchors).clamp(0, 1)


def match(gt_boxes, gt_labels, anchors_xyxy, threshold=0.4):
    iou = box_iou(gt_boxes, anchors_xyxy)                 # [G, N]
    best_gt_iou, best_gt = iou.max(dim=0)                 # per anchor
    best_anchor = iou.argmax(dim=1)                       # per gt
    best_gt_iou.index_fill_(0, best_anchor, 2.0)          # every gt keeps its best anchor
    best_gt[best_anchor] = torch.arange(gt_boxes.shape[0])
    labels = gt_labels[best_gt] + 1                       # 0 is background
    labels[best_gt_iou < threshold] = 0
    return gt_boxes[best_gt], labels


def encode(matched_xyxy, anchors, variances=(0.1, 0.2)):
    m = xyxy_to_cxcywh(matched_xyxy)
    g_cxcy = (m[:, :2] - anchors[:, :2]) / (variances[0] * anchors[:, 2:])
    g_wh = torch.log(m[:, 2:] / anchors[:, 2:]) / variances[1]
    return torch.cat([g_cxcy, g_wh], 1)


def decode(loc, anchors, variances=(0.1, 0.2)):
    cxcy = anchors[:, :2] + loc[:, :2] * variances[0] * anchors[:, 2:]
    wh = anchors[:, 2:] * torch.exp(loc[:, 2:] * variances[1])
    return cxcywh_to_xyxy(torch.cat([cxcy, wh], 1))


gt_labels = torch.tensor([0, 1, 2])
matched, labels = match(gt, gt_labels, anchors_xyxy)
print("positives", int((labels > 0).sum()), "per class", torch.bincount(labels, minlength=4).tolist())
targets = encode(matched, anchors)
print("encode/decode", torch.allclose(decode(targets, anchors), matched, atol=1e-5))
pos_idx = (labels > 0).nonzero().squeeze(1)
print("first positive anchors", pos_idx[:5].tolist(), "targets", targets[pos_idx[:2]])


# ---- a tiny SSD head ---------------------------------------------------------------------------
def make_image(boxes, labels, size=16):
    img = torch.zeros(3, size, size)
    for b, c in zip(boxes, labels):
        x0, y0, x1, y1 = (b * size).round().long().tolist()
        img[c, y0:y1, x0:x1] = 1.0
    return img + 0.05 * torch.randn(3, size, size)


class TinySSD(nn.Module):
    def __init__(self, num_classes=4, anchors_per_cell=A):
        super().__init__()
        self.backbone = nn.Sequential(
            nn.Conv2d(3, 16, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(16, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        )
        self.loc = nn.Conv2d(32, anchors_per_cell * 4, 3, padding=1)
        self.conf = nn.Conv2d(32, anchors_per_cell * num_classes, 3, padding=1)
        self.num_classes = num_classes

    def forward(self, x):
        f = self.backbone(x)
        n = x.shape[0]
        loc = self.loc(f).permute(0, 2, 3, 1).contiguous().view(n, -1, 4)
        conf = self.conf(f).permute(0, 2, 3, 1).contiguous().view(n, -1, self.num_classes)
        return loc, conf


def multibox_loss(loc_p, conf_p, loc_t, conf_t, neg_pos_ratio=3):
    pos = conf_t > 0
    num_pos = pos.sum(dim=1, keepdim=True)
    loss_l = F.smooth_l1_loss(loc_p[pos], loc_t[pos], reduction="sum")
    with torch.no_grad():
        ce = F.cross_entropy(conf_p.reshape(-1, conf_p.shape[-1]), conf_t.reshape(-1), reduction="none")
        ce = ce.view(conf_t.shape)
        ce[pos] = 0
        _, loss_idx = ce.sort(dim=1, descending=True)
        _, idx_rank = loss_idx.sort(dim=1)
        num_neg = torch.clamp(neg_pos_ratio * num_pos, max=pos.shape[1] - 1)
        neg = idx_rank < num_neg.expand_as(idx_rank)
    chosen = pos | neg
    loss_c = F.cross_entropy(conf_p[chosen], conf_t[chosen], reduction="sum")
    n = num_pos.sum().clamp(min=1).float()
    return loss_l / n, loss_c / n


scenes = [(gt, gt_labels), (gt.flip(0) * 0.9 + 0.05, torch.tensor([2, 0, 1]))]
images = torch.stack([make_image(b, l) for b, l in scenes])
loc_t, conf_t = zip(*[(encode(m, anchors), lab) for m, lab in (match(b, l, anchors_xyxy) for b, l in scenes)])
loc_t, conf_t = torch.stack(loc_t), torch.stack(conf_t)
print("images", images.shape, "loc_t", loc_t.shape, "conf_t", conf_t.shape, conf_t.dtype)

model = TinySSD()
opt = torch.optim.Adam(model.parameters(), lr=3e-3)
for step in range(30):
    loc_p, conf_p = model(images)
    loss_l, loss_c = multibox_loss(loc_p, conf_p, loc_t, conf_t)
    loss = loss_l + loss_c
    opt.zero_grad()
    loss.backward()
    opt.step()
    if step % 10 == 0 or step == 29:
        print(f"step {step:2d} loc {loss_l.item():.4f} conf {loss_c.item():.4f}")

# ---- post-processing ---------------------------------------------------------------------------
model.eval()
with torch.no_grad():
    loc_p, conf_p = model(images[:1])
    probs = conf_p[0].softmax(-1)
    boxes = decode(loc_p[0], anchors).clamp(0, 1)
    scores, classes = probs[:, 1:].max(dim=1)
    top_scores, top_idx = scores.topk(10)
    keep_mask = top_scores > 0.3
    cand_boxes = boxes[top_idx][keep_mask]
    cand_classes = classes[top_idx][keep_mask]
    cand_s = top_scores[keep_mask]
    keep = batched_nms(cand_boxes, cand_s, cand_classes, 0.45)
    print("detections", keep.numel(), "classes", cand_classes[keep].tolist())
    print("scores", cand_s[keep])
    best_iou = box_iou(cand_boxes[keep], gt).max(dim=1).values
    print("best iou with gt", best_iou)
