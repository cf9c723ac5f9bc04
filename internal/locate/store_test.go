package locate

import (
	"context"
	"testing"

	"hetang/internal/fixture"
	"hetang/internal/layout"
)

// TestReplaceLayerKeepsIndexOnFailure: a layer whose index cannot be built
// (an empty areas layer) is refused and the old snapshot, index included,
// stays served; a good replacement gets a new index.
func TestReplaceLayerKeepsIndexOnFailure(t *testing.T) {
	ctx := context.Background()
	st := fixture.WritableStore(t)
	before := st.Current()
	if before.Index == nil {
		t.Fatal("snapshot without index")
	}
	areas, err := before.Layout.Layer(layout.LayerAreas)
	if err != nil {
		t.Fatal(err)
	}
	empty := *areas
	empty.Features = nil
	if _, err := st.ReplaceLayer(ctx, &empty, "v-empty"); err == nil {
		t.Fatal("replacing the areas with nothing was accepted")
	}
	if st.Current() != before {
		t.Fatal("a failed replacement changed the snapshot")
	}
	snap, err := st.ReplaceLayer(ctx, areas, "v-same")
	if err != nil {
		t.Fatal(err)
	}
	if snap.Index == nil || snap.Index == before.Index || snap.Index.Version() != "v-same" {
		t.Fatal("a good replacement did not get its own index")
	}
}
