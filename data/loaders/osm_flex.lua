-- osm2pgsql flex style of Blue Map's street basemap: roads by class, railways, water areas and lines,
-- landuse, buildings, and place and point-of-interest names, in WGS84 (EPSG:4326) like every other table.
-- Tables go to the schema named by BLUEMAP_OSM_SCHEMA (the loader's staging schema, swapped in afterwards).
-- Each row carries `minzoom`, the first zoom at which the map draws it (the tile SQL filters on it).

local schema = os.getenv('BLUEMAP_OSM_SCHEMA') or 'osm_next'

local function columns(geom_type)
    return {
        { column = 'kind', type = 'text', not_null = true },
        { column = 'name_zh', type = 'text' },
        { column = 'name_en', type = 'text' },
        { column = 'minzoom', type = 'int', not_null = true },
        { column = 'geom', type = geom_type, projection = 4326, not_null = true },
    }
end

local tables = {}
for _, name in ipairs({ 'roads', 'railways', 'water_lines' }) do
    tables[name] = osm2pgsql.define_way_table(name, columns('linestring'), { schema = schema })
end
for _, name in ipairs({ 'water_areas', 'landuse', 'buildings' }) do
    tables[name] = osm2pgsql.define_area_table(name, columns('geometry'), { schema = schema })
end
tables.places = osm2pgsql.define_table({
    name = 'places', schema = schema,
    ids = { type = 'any', type_column = 'osm_type', id_column = 'osm_id' },
    columns = {
        { column = 'kind', type = 'text', not_null = true },
        { column = 'class', type = 'text', not_null = true },
        { column = 'name_zh', type = 'text' },
        { column = 'name_en', type = 'text' },
        { column = 'minzoom', type = 'int', not_null = true },
        { column = 'population', type = 'int8' },
        { column = 'geom', type = 'point', projection = 4326, not_null = true },
    },
})

-- Road classes (links drawn as their road) and the zoom each appears from.
local ROADS = {
    motorway = 10, trunk = 10, primary = 10, secondary = 11, tertiary = 12,
    residential = 13, unclassified = 13, living_street = 13, road = 13,
    service = 14, pedestrian = 14, track = 14,
    footway = 15, path = 15, cycleway = 15, steps = 15, bridleway = 15,
}
local PATHS = { footway = 'path', cycleway = 'path', steps = 'path', bridleway = 'path' }
local RAILWAYS = { rail = 11, subway = 12, light_rail = 12, tram = 13, narrow_gauge = 12, monorail = 13 }
local WATERWAYS = { river = 10, canal = 12, stream = 14, drain = 15, ditch = 15 }
local PLACES = {
    city = 10, town = 10, suburb = 12, village = 12, quarter = 13, neighbourhood = 14,
    hamlet = 14, isolated_dwelling = 15, locality = 15,
}
local LANDUSE_KEYS = { 'landuse', 'leisure', 'natural', 'amenity' }
local LANDUSE = {
    landuse = { residential = 'residential', industrial = 'industrial', commercial = 'commercial',
                retail = 'commercial', farmland = 'farmland', forest = 'forest', grass = 'grass',
                meadow = 'grass', cemetery = 'cemetery', military = 'military', recreation_ground = 'park',
                orchard = 'farmland', construction = 'construction', brownfield = 'construction' },
    leisure = { park = 'park', garden = 'park', nature_reserve = 'park', pitch = 'pitch',
                golf_course = 'park', stadium = 'pitch' },
    natural = { wood = 'forest', scrub = 'grass', grassland = 'grass', heath = 'grass', wetland = 'wetland',
                beach = 'sand', sand = 'sand' },
    amenity = { school = 'school', university = 'school', college = 'school', hospital = 'hospital' },
}
local POI_KEYS = { 'amenity', 'shop', 'tourism', 'leisure', 'historic', 'office' }

local function names(tags)
    return tags['name:zh-Hans'] or tags['name:zh'] or tags.name, tags['name:en']
end

-- Polygons from their size in square degrees: large ones at z10, small ones only close up.
local function area_zoom(geom, large, small)
    local a = geom:area()
    if a >= 1e-4 then return large end
    if a >= 1e-6 then return small end
    return 14
end

local function poi_kind(tags)
    for _, key in ipairs(POI_KEYS) do
        if tags[key] then return tags[key] end
    end
    return nil
end

local function add_place(object, geom, tags)
    local zh, en = names(tags)
    if not (zh or en) or geom:is_null() then return end
    local zoom = PLACES[tags.place]
    if zoom then
        tables.places:insert({ kind = tags.place, class = 'place', name_zh = zh, name_en = en, minzoom = zoom,
                               population = tonumber(tags.population), geom = geom })
        return
    end
    local kind = poi_kind(tags)
    if kind then
        tables.places:insert({ kind = kind, class = 'poi', name_zh = zh, name_en = en, minzoom = 15, geom = geom })
    end
end

function osm2pgsql.process_node(object)
    add_place(object, object:as_point(), object.tags)
end

local function add_area(object, tags, geom)
    if geom:is_null() then return end
    local zh, en = names(tags)
    if tags.natural == 'water' or tags.waterway == 'riverbank' or tags.landuse == 'reservoir'
        or tags.landuse == 'basin' or tags.waterway == 'dock' then
        tables.water_areas:insert({ kind = tags.water or 'water', name_zh = zh, name_en = en,
                                    minzoom = area_zoom(geom, 10, 12), geom = geom })
    end
    for _, key in ipairs(LANDUSE_KEYS) do
        local kind = tags[key] and LANDUSE[key][tags[key]]
        if kind then
            tables.landuse:insert({ kind = kind, name_zh = zh, name_en = en, minzoom = area_zoom(geom, 10, 12),
                                    geom = geom })
            break
        end
    end
    if tags.building and tags.building ~= 'no' then
        tables.buildings:insert({ kind = tags.building, name_zh = zh, name_en = en, minzoom = 14, geom = geom })
    end
    if (tags.place or poi_kind(tags)) and not tags.highway then
        add_place(object, geom:centroid(), tags)
    end
end

function osm2pgsql.process_way(object)
    local tags = object.tags
    local zh, en = names(tags)
    local highway = tags.highway and tags.highway:gsub('_link$', '')
    if highway and ROADS[highway] and tags.area ~= 'yes' then
        tables.roads:insert({ kind = PATHS[highway] or highway, name_zh = zh, name_en = en,
                              minzoom = ROADS[highway], geom = object:as_linestring() })
    elseif RAILWAYS[tags.railway] then
        tables.railways:insert({ kind = tags.railway, name_zh = zh, name_en = en, minzoom = RAILWAYS[tags.railway],
                                 geom = object:as_linestring() })
    elseif WATERWAYS[tags.waterway] then
        tables.water_lines:insert({ kind = tags.waterway, name_zh = zh, name_en = en,
                                    minzoom = WATERWAYS[tags.waterway], geom = object:as_linestring() })
    end
    if object.is_closed and not highway then
        add_area(object, tags, object:as_polygon())
    end
end

function osm2pgsql.process_relation(object)
    if object.tags.type == 'multipolygon' then
        add_area(object, object.tags, object:as_multipolygon())
    end
end
