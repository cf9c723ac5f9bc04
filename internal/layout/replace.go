package layout

// WithLayers returns a new layout at version holding l's layers in l's order,
// those with the ids of layers replaced by them. l is not changed and the
// other layers are shared. A layer l does not have is an error wrapping
// ErrNotFound.
func (l *Layout) WithLayers(version string, layers ...*Layer) (*Layout, error) {
	repl := make(map[string]*Layer, len(layers))
	for _, ly := range layers {
		if _, err := l.Layer(ly.ID); err != nil {
			return nil, &layerError{id: ly.ID}
		}
		repl[ly.ID] = ly
	}
	next := &Layout{Version: version, Layers: make([]*Layer, len(l.Layers))}
	for i, ly := range l.Layers {
		if r, ok := repl[ly.ID]; ok {
			ly = r
		}
		next.Layers[i] = ly
	}
	return next, nil
}

type layerError struct{ id string }

func (e *layerError) Error() string { return "layout: layer " + e.id + ": not found" }
func (e *layerError) Unwrap() error { return ErrNotFound }
