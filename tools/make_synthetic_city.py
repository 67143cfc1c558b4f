"""Generates the SYNTHETIC demo city in data/synthetic_city/ (a made-up place; no real data).

Deterministic (fixed seed): running it again rewrites the same files. A developer tool, not part
of the plugin; the generated files are committed so that the demo needs nothing but the repo.

    /usr/bin/python3 tools/make_synthetic_city.py data/synthetic_city

Generating relations (documented again in data/synthetic_city/README.md), in kilometres around
the centre (35 W, 40 N; metric work in EPSG:32625, UTM 25N):
  land use  downtown  r < 1.6 km from the CBD at (0.5, -0.5)
            harbour   x > 2.6 (the east shore)
            industry  y < -2.0 (the south strip)
            green     within 0.45 km of the river y = 0.35 x + 1.9
            residential everywhere else
  population density (people/km2, the target indicator):
            downtown 16000 exp(-r/1.2) + 4000, residential 9000 exp(-r/3.5), harbour 1200,
            industry 600, green 250; times lognormal noise (sigma 0.25)
  jobs      downtown 30000 exp(-r/1.0), harbour 4000, industry 6000, residential 800, green 50
  POIs      Poisson with mean 0.3 (population + jobs) / 4000 per 100 m cell; categories by land use
  flows     origins drawn by population, destinations by jobs; trips ~ gravity 1 / (1 + d)^1.5
  raster    20 m RGB: land-use colour, building texture whose density grows with population+jobs
  photos    64 px street-view images: sky, facades coloured by land use, window rows by density
"""
import json
import math
import os
import sys

import numpy as np
from osgeo import gdal, ogr, osr

gdal.UseExceptions()
ogr.UseExceptions()

OUT = sys.argv[1] if len(sys.argv) > 1 else "data/synthetic_city"
rng = np.random.default_rng(20241124)
LON0, LAT0 = -35.0, 40.0

wgs84 = osr.SpatialReference(); wgs84.ImportFromEPSG(4326); wgs84.SetAxisMappingStrategy(osr.OAMS_TRADITIONAL_GIS_ORDER)
utm = osr.SpatialReference(); utm.ImportFromEPSG(32625); utm.SetAxisMappingStrategy(osr.OAMS_TRADITIONAL_GIS_ORDER)
to_utm = osr.CoordinateTransformation(wgs84, utm)
to_wgs = osr.CoordinateTransformation(utm, wgs84)
CX, CY, _ = to_utm.TransformPoint(LON0, LAT0)

boundary = ogr.CreateGeometryFromJson(json.dumps(json.load(open(os.path.join(OUT, "boundary.geojson")))["features"][0]["geometry"]))
boundary.AssignSpatialReference(wgs84)
boundary_utm = boundary.Clone(); boundary_utm.Transform(to_utm)


def km(x, y):
    return (x - CX) / 1000.0, (y - CY) / 1000.0


def land_use(xk, yk):
    r = math.hypot(xk - 0.5, yk + 0.5)
    if r < 1.6:
        return "downtown"
    if xk > 2.6:
        return "harbour"
    if yk < -2.0:
        return "industry"
    if abs(yk - (0.35 * xk + 1.9)) / math.hypot(0.35, 1) < 0.45:
        return "green"
    return "residential"


def population(xk, yk, lu):
    r = math.hypot(xk - 0.5, yk + 0.5)
    return {"downtown": 16000 * math.exp(-r / 1.2) + 4000, "residential": 9000 * math.exp(-r / 3.5),
            "harbour": 1200, "industry": 600, "green": 250}[lu]


def jobs(xk, yk, lu):
    r = math.hypot(xk - 0.5, yk + 0.5)
    return {"downtown": 30000 * math.exp(-r), "harbour": 4000, "industry": 6000, "residential": 800, "green": 50}[lu]


minx, maxx, miny, maxy = boundary_utm.GetEnvelope()
minx, miny = math.floor(minx / 100) * 100 - 200, math.floor(miny / 100) * 100 - 200
maxx, maxy = math.ceil(maxx / 100) * 100 + 200, math.ceil(maxy / 100) * 100 + 200


def inside(x, y):
    p = ogr.Geometry(ogr.wkbPoint); p.AddPoint_2D(x, y)
    return boundary_utm.Contains(p)


# --- population density raster (100 m, the target) ------------------------------------------------
cols, rows = int((maxx - minx) / 100), int((maxy - miny) / 100)
density = np.full((rows, cols), -9999.0, dtype=np.float32)
lu_grid = {}
for j in range(rows):
    for i in range(cols):
        x, y = minx + (i + 0.5) * 100, maxy - (j + 0.5) * 100
        if not inside(x, y):
            continue
        xk, yk = km(x, y)
        lu = land_use(xk, yk)
        lu_grid[(i, j)] = lu
        density[j, i] = population(xk, yk, lu) * float(rng.lognormal(0.0, 0.25))
drv = gdal.GetDriverByName("GTiff")
ds = drv.Create(os.path.join(OUT, "population_density.tif"), cols, rows, 1, gdal.GDT_Float32, ["COMPRESS=DEFLATE", "PREDICTOR=3"])
ds.SetGeoTransform((minx, 100, 0, maxy, 0, -100)); ds.SetProjection(utm.ExportToWkt())
band = ds.GetRasterBand(1); band.SetNoDataValue(-9999); band.WriteArray(density); band.SetDescription("SYNTHETIC population density (people per km2)")
ds = None

# --- remote-sensing image (20 m RGB) -------------------------------------------------------------
COLOURS = {"downtown": (150, 150, 155), "residential": (185, 135, 95), "harbour": (95, 120, 150), "industry": (200, 200, 190), "green": (70, 140, 60)}
rc, rr = int((maxx - minx) / 20), int((maxy - miny) / 20)
img = np.zeros((3, rr, rc), dtype=np.uint8)
for j in range(rr):
    for i in range(rc):
        x, y = minx + (i + 0.5) * 20, maxy - (j + 0.5) * 20
        cell = lu_grid.get((int(i / 5), int(j / 5)))
        if cell is None:
            colour, built = (30, 60, 110), 0.0  # sea
        else:
            xk, yk = km(x, y)
            colour = COLOURS[cell]
            built = min(1.0, (population(xk, yk, cell) + jobs(xk, yk, cell)) / 25000.0)
        block = ((i // 3) + (j // 3)) % 2 == 0 and rng.random() < built
        shade = -45 if block else 0
        for b in range(3):
            img[b, j, i] = np.clip(colour[b] + shade + rng.normal(0, 8), 0, 255)
ds = drv.Create(os.path.join(OUT, "satellite_rgb.tif"), rc, rr, 3, gdal.GDT_Byte, ["COMPRESS=DEFLATE", "PHOTOMETRIC=RGB"])
ds.SetGeoTransform((minx, 20, 0, maxy, 0, -20)); ds.SetProjection(utm.ExportToWkt())
for b in range(3):
    ds.GetRasterBand(b + 1).WriteArray(img[b])
ds = None

# --- POIs ------------------------------------------------------------------------------------------
CATEGORIES = {
    "downtown": ["office", "bank", "restaurant", "cafe", "clothes", "hotel", "bar"],
    "residential": ["school", "supermarket", "cafe", "pharmacy", "kindergarten", "bakery", "hairdresser"],
    "harbour": ["port", "warehouse", "ferry_terminal", "fish_market", "marina"],
    "industry": ["factory", "warehouse", "fuel", "car_repair", "wholesale"],
    "green": ["park", "playground", "sports_centre", "picnic_site"],
}
ADJECTIVES = ["Blue", "Old", "Harbour", "Central", "Green", "Sunny", "North", "Royal", "Little", "Golden"]
NOUNS = {"office": "Tower", "bank": "Bank", "restaurant": "Kitchen", "cafe": "Coffee", "clothes": "Boutique", "hotel": "Hotel", "bar": "Tavern",
         "school": "School", "supermarket": "Market", "pharmacy": "Pharmacy", "kindergarten": "Kindergarten", "bakery": "Bakery",
         "hairdresser": "Salon", "port": "Pier", "warehouse": "Depot", "ferry_terminal": "Ferry Terminal", "fish_market": "Fish Market",
         "marina": "Marina", "factory": "Works", "fuel": "Gas Station", "car_repair": "Garage", "wholesale": "Wholesale",
         "park": "Park", "playground": "Playground", "sports_centre": "Sports Centre", "picnic_site": "Picnic Area"}


def create_layer(path, name, geom_type, fields):
    if os.path.exists(path):
        os.remove(path)
    ds = ogr.GetDriverByName("GPKG").CreateDataSource(path)
    layer = ds.CreateLayer(name, wgs84, geom_type)
    for fname, ftype in fields:
        layer.CreateField(ogr.FieldDefn(fname, ftype))
    return ds, layer


ds, layer = create_layer(os.path.join(OUT, "pois.gpkg"), "synthetic_pois", ogr.wkbPoint, [("category", ogr.OFTString), ("name", ogr.OFTString)])
for (i, j), lu in sorted(lu_grid.items()):
    x0, y0 = minx + i * 100, maxy - (j + 1) * 100
    xk, yk = km(x0 + 50, y0 + 50)
    for _ in range(rng.poisson((population(xk, yk, lu) + jobs(xk, yk, lu)) / 4000.0 * 0.3)):
        x, y = x0 + rng.random() * 100, y0 + rng.random() * 100
        category = CATEGORIES[lu][int(rng.integers(len(CATEGORIES[lu])))]
        f = ogr.Feature(layer.GetLayerDefn())
        lon, lat, _ = to_wgs.TransformPoint(x, y)
        f.SetGeometry(ogr.CreateGeometryFromWkt(f"POINT ({lon:.7f} {lat:.7f})"))
        f.SetField("category", category)
        f.SetField("name", f"{ADJECTIVES[int(rng.integers(len(ADJECTIVES)))]} {NOUNS[category]}")
        layer.CreateFeature(f)
ds = None

# --- flows -----------------------------------------------------------------------------------------
cells = sorted(lu_grid.items())
pop_w = np.array([population(*km(minx + (i + .5) * 100, maxy - (j + .5) * 100), lu) for (i, j), lu in cells])
job_w = np.array([jobs(*km(minx + (i + .5) * 100, maxy - (j + .5) * 100), lu) for (i, j), lu in cells])
ds, layer = create_layer(os.path.join(OUT, "flows.gpkg"), "synthetic_flows", ogr.wkbLineString, [("trips", ogr.OFTInteger)])
origins = rng.choice(len(cells), size=900, p=pop_w / pop_w.sum())
destinations = rng.choice(len(cells), size=900, p=job_w / job_w.sum())
for o, d in zip(origins, destinations):
    (oi, oj), _ = cells[o]
    (di, dj), _ = cells[d]
    ox, oy = minx + (oi + rng.random()) * 100, maxy - (oj + rng.random()) * 100
    dx, dy = minx + (di + rng.random()) * 100, maxy - (dj + rng.random()) * 100
    dist = math.hypot(dx - ox, dy - oy) / 1000
    trips = 1 + int(rng.poisson(40 / (1 + dist) ** 1.5))
    a, b = to_wgs.TransformPoint(ox, oy), to_wgs.TransformPoint(dx, dy)
    f = ogr.Feature(layer.GetLayerDefn())
    f.SetGeometry(ogr.CreateGeometryFromWkt(f"LINESTRING ({a[0]:.7f} {a[1]:.7f}, {b[0]:.7f} {b[1]:.7f})"))
    f.SetField("trips", trips)
    layer.CreateFeature(f)
ds = None

# --- street-view photos ----------------------------------------------------------------------------
os.makedirs(os.path.join(OUT, "streetview"), exist_ok=True)
ds, layer = create_layer(os.path.join(OUT, "streetview.gpkg"), "synthetic_streetview", ogr.wkbPoint, [("photo", ogr.OFTString)])
png = gdal.GetDriverByName("PNG")
mem = gdal.GetDriverByName("MEM")
picked = rng.choice(len(cells), size=150, replace=False, p=(pop_w + job_w) / (pop_w + job_w).sum())
for k, c in enumerate(sorted(picked)):
    (i, j), lu = cells[c]
    x, y = minx + (i + rng.random()) * 100, maxy - (j + rng.random()) * 100
    xk, yk = km(x, y)
    built = min(1.0, (population(xk, yk, lu) + jobs(xk, yk, lu)) / 25000.0)
    s = 64
    photo = np.zeros((3, s, s), dtype=np.uint8)
    horizon = int(s * (0.55 - 0.35 * built))  # denser places: taller facades, less sky
    sky, ground = (150, 190, 235), (90, 90, 90)
    for b in range(3):
        photo[b, :horizon, :] = sky[b]
        photo[b, horizon:, :] = COLOURS[lu][b]
        photo[b, int(s * 0.85):, :] = ground[b]
    for row in range(horizon + 3, int(s * 0.85) - 3, 6):  # window rows
        for col in range(2, s - 2, 7):
            if rng.random() < 0.3 + 0.6 * built:
                photo[:, row:row + 3, col:col + 3] = 40
    photo = np.clip(photo.astype(int) + rng.integers(-3, 4, photo.shape), 0, 255).astype(np.uint8)
    name = f"streetview/sv_{k:03d}.png"
    m = mem.Create("", s, s, 3, gdal.GDT_Byte)
    for b in range(3):
        m.GetRasterBand(b + 1).WriteArray(photo[b])
    png.CreateCopy(os.path.join(OUT, name), m)
    m = None
    aux = os.path.join(OUT, name + ".aux.xml")
    if os.path.exists(aux):
        os.remove(aux)
    lon, lat, _ = to_wgs.TransformPoint(x, y)
    f = ogr.Feature(layer.GetLayerDefn())
    f.SetGeometry(ogr.CreateGeometryFromWkt(f"POINT ({lon:.7f} {lat:.7f})"))
    f.SetField("photo", name)
    layer.CreateFeature(f)
ds = None
print("synthetic city written to", OUT)
