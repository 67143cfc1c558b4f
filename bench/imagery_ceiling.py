#!/usr/bin/python3
"""How much do features computed from the Landsat scene add to POIs and flows? (issue 22)

usage: bench/imagery_ceiling.py NORASTER.gpkg[,...] [--every EVERY.gpkg,...] [--features F.tif,...] [--cnn]
       (Debian's /usr/bin/python3 with python3-sklearn and python3-gdal; --cnn needs python3-torch)

Issue 22 asks that removing the raster from every view cost at least 0.03 R² on both targets. This
diagnostic measures how much features of ../shared/data's scene (801 x 773 px, 30 m, 8-bit RGB) add
when read out beside the plugin's embeddings without the raster (musecl:train with POI text and
flows only). It appends blocks of raster features to those embeddings and scores them as
../shared/peers/score.py does (imported, not copied; columns: crime published / ours / spatial,
check-in published / ours / spatial). Blocks:
  - band mean/std: each band's mean and standard deviation inside the zone
    (native:zonalstatisticsfb's summary);
  - hand-made, inside the zone and inside buffers of 267 m (the scene-feature view's automatic
    surroundings) and 600 m: each band's mean, standard deviation and 10th / 50th / 90th
    percentiles, the grey gradient's mean and spread (texture), a greenness index
    (G - R) / (G + R) and the shares of 12 colour clusters (k-means of the scene's pixels);
  - scene features: each band's mean and standard deviation of the feature rasters given with
    --features (musecl:imagefeatures outputs), inside the zone and the 267 m buffer;
  - all of them together.
Each block is appended whole and as its leading principal components (4, 8, 16, 32). Taking the
best of these is a choice on the evaluation folds, so the best row over-states what these linear
read-outs would add on new data. Nonlinear read-outs follow, with fixed settings: extremely
randomised trees fitted, inside each training fold, to what ridge on the embedding leaves
unexplained (its inner-fold residuals), their prediction added to ridge's (log-scale protocols
only); once more with the embedding's 8 leading components beside the last block, for
interactions. With --cnn, a small convolutional network as well, fitted inside each training fold
to the same residuals from a 48 x 48 px window around the centre of each zone's pixels (the three
bands and the zone's mask; flips and quarter turns; two initialisations averaged). It is slow on a
CPU, so it takes the first embedding only and random folds of seeds 1-3.
None of this bounds what any image view could add: a view trained with the others can also change
them, and other read-outs may find more.
Rows are means over the embeddings given, as the change against the embedding alone; --every
embeddings (every view, the raster included) are scored the same way for comparison.
"""
import os
import sys

import numpy as np
from osgeo import gdal, ogr, osr
from sklearn.cluster import KMeans
from sklearn.ensemble import ExtraTreesRegressor
from sklearn.linear_model import RidgeCV
from sklearn.metrics import r2_score
from sklearn.model_selection import KFold, cross_val_predict
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from peers_common import header, row, score, start

RASTER = os.path.join(score.DATA, "manhattan_landsat_rgb.tif")
BUFFERS = (0.0, 267.0, 600.0)


def zone_geometries(srs_wkt):
    """The 180 zone polygons, in the raster's CRS, by zone_id."""
    ds = ogr.Open(os.path.join(score.DATA, "manhattan.gpkg"))
    layer = ds.GetLayerByName("zones")
    target = osr.SpatialReference(wkt=srs_wkt)
    source = layer.GetSpatialRef()
    for s in (source, target):
        s.SetAxisMappingStrategy(osr.OAMS_TRADITIONAL_GIS_ORDER)
    to_raster = osr.CoordinateTransformation(source, target)
    zones = {}
    for f in layer:
        g = f.GetGeometryRef().Clone()
        g.Transform(to_raster)
        zones[f.GetField("zone_id")] = g
    return [zones[i] for i in range(len(zones))]


def mask(ds, geometry):
    """Pixels of `ds`'s grid whose centre lies in `geometry` (every touched pixel when none does)."""
    for all_touched in (False, True):
        target = gdal.GetDriverByName("MEM").Create("", ds.RasterXSize, ds.RasterYSize, 1, gdal.GDT_Byte)
        target.SetGeoTransform(ds.GetGeoTransform())
        target.SetProjection(ds.GetProjection())
        mem = ogr.GetDriverByName("Memory").CreateDataSource("")
        layer = mem.CreateLayer("z", srs=osr.SpatialReference(wkt=ds.GetProjection()))
        feature = ogr.Feature(layer.GetLayerDefn())
        feature.SetGeometry(geometry)
        layer.CreateFeature(feature)
        options = ["ALL_TOUCHED=TRUE"] if all_touched else []
        gdal.RasterizeLayer(target, [1], layer, burn_values=[1], options=options)
        m = target.ReadAsArray().astype(bool)
        if m.any():
            return m
    raise ValueError("a zone covers no pixel of the raster")


def masks(ds, buffers):
    zones = zone_geometries(ds.GetProjection())
    return [[mask(ds, z if b == 0 else z.Buffer(b)) for z in zones] for b in buffers]


def hand_made(masks_by_buffer):
    ds = gdal.Open(RASTER)
    pixels = ds.ReadAsArray().astype(float)  # [3, H, W]
    grey = pixels.mean(0)
    gy, gx = np.gradient(grey)
    gradient = np.hypot(gx, gy)
    red, green = pixels[0], pixels[1]
    greenness = (green - red) / (green + red + 1.0)
    flat = pixels.reshape(3, -1).T
    sample = flat[np.random.default_rng(0).choice(len(flat), 20000, replace=False)]
    colours = KMeans(12, n_init=4, random_state=0).fit(sample).predict(flat).reshape(grey.shape)
    rich = []
    for zone_masks in masks_by_buffer:
        for m in zone_masks:
            p = pixels[:, m]
            shares = np.bincount(colours[m], minlength=12) / m.sum()
            rich.append(np.r_[p.mean(1), p.std(1), np.percentile(p, [10, 50, 90], axis=1).ravel(),
                              gradient[m].mean(), gradient[m].std(), greenness[m].mean(), shares])
    # One row per zone, the buffers side by side; the zone's own band means and spreads lead.
    rich = np.hstack(np.split(np.array(rich), len(masks_by_buffer)))
    return rich[:, :6], rich


def scene_block(paths):
    blocks = []
    for path in paths:
        ds = gdal.Open(path)
        if ds is None:
            sys.exit(f"{path}: not a raster")
        bands = ds.ReadAsArray().astype(float)
        for zone_masks in masks(ds, BUFFERS[:2]):
            blocks.append(np.array([np.r_[bands[:, m].mean(1), bands[:, m].std(1)] for m in zone_masks]))
    return np.hstack(blocks)


def leading(block, k):
    z = (block - block.mean(0)) / (block.std(0) + 1e-9)
    u, s, _ = np.linalg.svd(z, full_matrices=False)
    return u[:, :k] * s[:k]


def ridge():
    return make_pipeline(StandardScaler(), RidgeCV(alphas=np.logspace(-3, 3, 13)))


def with_residual_fit(E, y, splits, correct):
    """Pooled R² of ridge on E plus `correct(train, residuals, test)`: a model fitted on the training
    rows to ridge's inner-fold residuals, its predictions for the test rows."""
    p = np.zeros_like(y)
    for tr, te in splits:
        inner = cross_val_predict(ridge(), E[tr], y[tr], cv=KFold(5, shuffle=True, random_state=0))
        p[te] = ridge().fit(E[tr], y[tr]).predict(E[te]) + correct(tr, y[tr] - inner, te)
    return r2_score(y, p)


def trees(R):
    def correct(tr, residual, te):
        fitted = ExtraTreesRegressor(300, min_samples_leaf=3, max_features=0.3, random_state=0, n_jobs=1)
        return fitted.fit(R[tr], residual).predict(R[te])
    return correct


def random_splits(n, r):
    return list(KFold(5, shuffle=True, random_state=r).split(np.zeros(n)))


def nonlinear(E, R, Y, C):
    """[ours, spatial] per target, as score.py builds the folds."""
    random = [random_splits(len(E), r) for r in range(1, 6)]
    spatial = []
    for r in range(1, 6):
        lab = KMeans(5, n_init=10, random_state=r).fit_predict(C)
        spatial.append([(np.where(lab != k)[0], np.where(lab == k)[0]) for k in range(5)])
    out = []
    for j in range(Y.shape[1]):
        y = np.log1p(Y[:, j])
        out += [np.mean([with_residual_fit(E, y, s, trees(R)) for s in folds]) for folds in (random, spatial)]
    return out


def windows(size=48):
    """[N, 4, size, size]: the standardised bands around each zone's centroid and the zone's mask."""
    ds = gdal.Open(RASTER)
    pixels = ds.ReadAsArray().astype(np.float32)
    pixels = (pixels - pixels.mean((1, 2), keepdims=True)) / pixels.std((1, 2), keepdims=True)
    zone_masks = masks(ds, BUFFERS[:1])[0]
    half = size // 2
    padded = np.pad(np.concatenate([pixels, np.zeros_like(pixels[:1])]), ((0, 0), (half, half), (half, half)))
    out = []
    for m in zone_masks:
        rows, cols = np.nonzero(m)
        r, c = int(rows.mean()) + half, int(cols.mean()) + half
        w = padded[:, r - half:r + half, c - half:c + half].copy()
        w[3] = np.pad(m, half)[r - half:r + half, c - half:c + half]
        out.append(w)
    return np.array(out)


def cnn_fit_predict(x_train, y_train, x_test, seed):
    import torch
    torch.manual_seed(seed)
    net = torch.nn.Sequential(
        torch.nn.Conv2d(4, 16, 3, padding=1), torch.nn.ReLU(), torch.nn.MaxPool2d(2),
        torch.nn.Conv2d(16, 32, 3, padding=1), torch.nn.ReLU(), torch.nn.MaxPool2d(2),
        torch.nn.Conv2d(32, 64, 3, padding=1), torch.nn.ReLU(), torch.nn.AdaptiveAvgPool2d(1),
        torch.nn.Flatten(), torch.nn.Dropout(0.3), torch.nn.Linear(64, 1))
    optimiser = torch.optim.Adam(net.parameters(), lr=1e-3, weight_decay=1e-3)
    x, y = torch.from_numpy(x_train), torch.from_numpy(y_train.astype(np.float32))
    for _ in range(150):
        turned = torch.rot90(x, int(torch.randint(4, ())), (2, 3))
        turned = turned.flip(3) if bool(torch.randint(2, ())) else turned
        optimiser.zero_grad()
        loss = torch.nn.functional.mse_loss(net(turned).squeeze(1), y)
        loss.backward()
        optimiser.step()
    net.eval()
    with torch.no_grad():
        return net(torch.from_numpy(x_test)).squeeze(1).numpy()


def cnn(W):
    def correct(tr, residual, te):
        scale = residual.std()
        return scale * np.mean([cnn_fit_predict(W[tr], residual / scale, W[te], s) for s in range(2)], 0)
    return correct


def arguments():
    args = sys.argv[1:]
    named = {"--every": [], "--features": []}
    plain = []
    cnn = "--cnn" in args
    args = [a for a in args if a != "--cnn"]
    while args:
        a = args.pop(0)
        if a in named:
            named[a] = args.pop(0).split(",") if args else sys.exit(f"{a} needs a value")
        elif a.startswith("--"):
            sys.exit(f"unknown option {a}\n{__doc__}")
        else:
            plain += a.split(",")
    if not plain:
        sys.exit(f"no embedding without the raster given\n{__doc__}")
    return plain, named["--every"], named["--features"], cnn


def main():
    Y, C = start(__doc__)
    without, every, features, cnn = arguments()
    E = [score.layer_embedding(p) for p in without]
    by_buffer = masks(gdal.Open(RASTER), BUFFERS)
    band_stats, rich = hand_made(by_buffer)
    blocks = {"band mean/std, zone only": band_stats, "hand-made, 3 scales": rich}
    if features:
        blocks["scene features, 2 scales"] = scene_block(features)
        blocks["all of them"] = np.hstack([rich, blocks["scene features, 2 scales"]])
    header("features (change against the embedding without the raster)")
    alone = np.mean([score.scores(e, Y, C) for e in E], 0)
    row(f"POI text + flows, mean of {len(E)}, absolute", alone)
    if every:
        row("every view (the raster fused), change", np.mean([score.scores(score.layer_embedding(p), Y, C) for p in every], 0) - alone, signed=True)
    for name, block in blocks.items():
        row(f"{name} alone ({block.shape[1]} values), absolute", score.scores(block, Y, C))
        for k in (4, 8, 16, 32, None):
            if k is not None and k >= block.shape[1]:
                continue
            part = block if k is None else leading(block, k)
            label = "whole" if k is None else f"{k} components"
            row(f"+ {name}, {label}", np.mean([score.scores(np.c_[e, part], Y, C) for e in E], 0) - alone, signed=True)
    print("\nNonlinear bound (log-scale protocols): ridge on the embedding + trees on the block's residuals")
    print("| block | crime ours | crime spatial | check-in ours | check-in spatial |\n|---|---:|---:|---:|---:|")
    base = np.array(alone)[[1, 2, 4, 5]]
    for name, block in blocks.items():
        gain = np.mean([nonlinear(e, block, Y, C) for e in E], 0) - base
        print(f"| + {name} | " + " | ".join(f"{v:+.3f}" for v in gain) + " |", flush=True)
    # The trees also see where a zone lies in the embedding, so the raster may act differently in
    # different kinds of zones (an interaction a fusion could learn and a sum of two fits cannot).
    last = list(blocks)[-1]
    gain = np.mean([nonlinear(e, np.c_[leading(e, 8), blocks[last]], Y, C) for e in E], 0) - base
    print(f"| + {last}, the trees also given the embedding's 8 leading components | "
          + " | ".join(f"{v:+.3f}" for v in gain) + " |", flush=True)
    if cnn:
        W = windows()
        first = E[0]
        gain = [np.mean([with_residual_fit(first, y, random_splits(len(first), r), cnn(W))
                         - r2_score(y, score.pooled(first, y, random_splits(len(first), r), ridge)) for r in range(1, 4)])
                for y in np.log1p(Y.T)]
        print(f"| + supervised CNN on 48 x 48 px windows (first embedding, fold seeds 1-3) | {gain[0]:+.3f} | | {gain[1]:+.3f} | |")


if __name__ == "__main__":
    main()
