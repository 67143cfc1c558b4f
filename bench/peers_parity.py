#!/usr/bin/python3
"""HAFusion and the plugin on the same inputs (issue 23): how much of the peer's lead is its data.

HAFusion's Manhattan release (MiRuacle24/HAFusion, folder data_NY, row i = zone_id i) gives its model
three inputs the plugin's default does not see: POI counts in 26 categories from a POI source three
times the size of the OpenStreetMap extract in ../shared/data (24 496 POIs against 7 337), land-use
counts in 11 classes, and a second mobility matrix as its mobility features (10.95 million trips
against the taxi matrix's 9.33 million; the two correlate 0.96 on a log scale, 0.09 on a raw one,
where one cell holds 14 % of the second matrix). The taxi matrix is its training target and ours.
This script swaps them both ways.

usage (Debian's /usr/bin/python3 with python3-sklearn and python3-gdal; HAFUSION_DIR is a checkout of
MiRuacle24/HAFusion, read, never copied):
  bench/peers_parity.py inputs            ridge on each input alone, scored as score.py scores
  bench/peers_parity.py layer OUT.gpkg    the zones with HAFusion's land-use (lu_0..lu_10) and POI
                                          (hp_0..hp_25) counts as fields, for musecl:train's
                                          ATTRIBUTE_FIELDS
  bench/peers_parity.py hafusion SEED OUT.npy
                                          HAFusion's own model and loss (imported from HAFUSION_DIR;
                                          needs python3-torch), its 2000 epochs and settings, on the
                                          plugin's inputs: the OSM category counts of each zone as its
                                          POI and land-use inputs (cosine similarities as their
                                          targets; the 2 zones without a POI get a row of zeros,
                                          diagonal included) and the taxi matrix as its mobility
                                          features;
                                          saves the final-epoch embedding (about 20 CPU minutes)
  bench/peers_parity.py score A.npy ...   scores .npy embeddings (180 rows, row i = zone_id i)
"""
import os
import sys

import numpy as np
from osgeo import ogr

from peers_common import header, row, score, start, trip_matrix

HAFUSION = os.path.abspath(os.environ["HAFUSION_DIR"]) if os.environ.get("HAFUSION_DIR") else ""


def hafusion_data(name):
    path = os.path.join(HAFUSION, "data_NY", name + ".npy")
    if not os.path.exists(path):
        sys.exit(f"{path} not found: set HAFUSION_DIR to a checkout of MiRuacle24/HAFusion")
    return np.load(path)


def osm_counts():
    """The zones' OpenStreetMap POI counts per category (points inside each zone polygon). The
    extract's blank category (" ") is a column here, so there are 92; musecl:poifeatures leaves it
    out (91)."""
    ds = ogr.Open(os.path.join(score.DATA, "manhattan.gpkg"))
    zones = {f.GetField("zone_id"): f.GetGeometryRef().Clone() for f in ds.GetLayerByName("zones")}
    pois = ds.GetLayerByName("pois")
    categories, counts = {}, {}
    for zone, geometry in zones.items():
        pois.SetSpatialFilter(geometry)
        for p in pois:
            if geometry.Contains(p.GetGeometryRef()):
                c = categories.setdefault(p.GetField("fclass"), len(categories))
                counts[(zone, c)] = counts.get((zone, c), 0) + 1
    X = np.zeros((len(zones), len(categories)))
    for (zone, c), v in counts.items():
        X[zone, c] = v
    return X


def inputs(Y, C):
    def with_total(counts):
        return np.log1p(np.c_[counts, counts.sum(1)])

    osm, taxi = osm_counts(), trip_matrix(len(Y))
    mob = hafusion_data("mob_dist").astype(float)
    header("input alone (ridge, log(1 + value))")
    row(f"OSM POI counts, {osm.shape[1]} categories and total (the plugin's)", score.scores(with_total(osm), Y, C))
    row("HAFusion's POI counts, 26 categories and total", score.scores(with_total(hafusion_data("poi_dist")), Y, C))
    row("HAFusion's land-use counts, 11 classes", score.scores(np.log1p(hafusion_data("landUse_dist")), Y, C))
    row("taxi matrix, row and column (both)", score.scores(np.log1p(np.c_[taxi, taxi.T]), Y, C))
    row("HAFusion's second mobility matrix, row and column", score.scores(np.log1p(np.c_[mob, mob.T]), Y, C))


def layer(out):
    land_use, poi = hafusion_data("landUse_dist"), hafusion_data("poi_dist")
    source = ogr.Open(os.path.join(score.DATA, "manhattan.gpkg"))
    target = ogr.GetDriverByName("GPKG").CreateDataSource(out)
    zones = target.CopyLayer(source.GetLayerByName("zones"), "zones")
    fields = [(f"lu_{k}", land_use[:, k]) for k in range(land_use.shape[1])]
    fields += [(f"hp_{k}", poi[:, k]) for k in range(poi.shape[1])]
    for name, _ in fields:
        zones.CreateField(ogr.FieldDefn(name, ogr.OFTInteger))
    zones.ResetReading()
    for feature in list(zones):
        for name, values in fields:
            feature.SetField(name, int(values[feature.GetField("zone_id")]))
        zones.SetFeature(feature)
    target = None
    print(" ".join(f"ATTRIBUTE_FIELDS={name}" for name, _ in fields))


def hafusion(seed, out):
    import torch

    if not os.path.isdir(os.path.join(HAFUSION, "data_NY")):
        sys.exit(f"HAFUSION_DIR ('{HAFUSION}') is not a checkout of MiRuacle24/HAFusion")
    # The plugin's own inputs, read before leaving the working folder (the data path may be
    # relative). The taxi matrix equals HAFusion's mob-adj.npy value for value.
    taxi = trip_matrix()
    counts = osm_counts().astype(np.float32)
    sys.path.insert(0, HAFUSION)
    os.chdir(HAFUSION)  # its training module reads ./data_NY when imported
    # ... and parses the command line then, which would reject this script's arguments.
    saved, sys.argv = sys.argv, sys.argv[:1]
    from HAFusion_Model import HAFusion
    from HAFusion_train import ModelLoss

    sys.argv = saved
    torch.manual_seed(seed)
    np.random.seed(seed)
    unit = counts / np.maximum(np.linalg.norm(counts, axis=1, keepdims=True), 1e-9)
    similarity = torch.Tensor(unit @ unit.T)
    as_input = lambda a: torch.Tensor(a[np.newaxis])
    features = [as_input(counts), as_input(counts), as_input(taxi)]
    # The settings of its parse_args.py for NY: 144-d output, d' 64, d_m 72, c 32; Adam 5e-4, decay 5e-4.
    model = HAFusion(counts.shape[1], counts.shape[1], len(taxi), 144, 64, 72, 32)
    loss_of = ModelLoss()
    optimizer = torch.optim.Adam(model.parameters(), lr=5e-4, weight_decay=5e-4)
    target = torch.Tensor(taxi / taxi.mean())
    for _ in range(2000):
        model.train()
        s, t, p, l = model(features)
        loss = loss_of(s, t, target, p, similarity, l, similarity)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    np.save(out, model.out_feature().detach().numpy())


def main():
    if len(sys.argv) < 2 or sys.argv[1] not in ("inputs", "layer", "hafusion", "score"):
        sys.exit(__doc__)
    command = sys.argv[1]
    if command == "hafusion":
        hafusion(int(sys.argv[2]), os.path.abspath(sys.argv[3]))
        return
    Y, C = start()
    if command == "inputs":
        inputs(Y, C)
    elif command == "layer":
        layer(sys.argv[2])
    else:
        header("embedding")
        for path in sys.argv[2:]:
            row(path, score.scores(np.load(path), Y, C))


if __name__ == "__main__":
    main()
