package layout

// Layer ids that are part of the API.
const (
	LayerDistrict   = "district"
	LayerNeighbours = "neighbours"
	LayerAreas      = "areas"
	LayerCities     = "cities"
	LayerAxis       = "axis"
	LayerChain      = "chain"
	LayerChainNodes = "chain_nodes"
	LayerRoads      = "roads"
	LayerCorridor   = "corridor"
	LayerBases      = "bases"
	LayerServices   = "services"
	LayerAgri       = "agriculture"
	LayerPlaces     = "places"
)

// LayerOrder is the order layers are served and stored in: context first,
// then the plan's spatial structure, road grid, industry and services.
var LayerOrder = []string{
	LayerDistrict, LayerNeighbours, LayerAreas, LayerCities, LayerAxis, LayerChain,
	LayerChainNodes, LayerRoads, LayerCorridor, LayerBases, LayerServices, LayerAgri, LayerPlaces,
}
