package layout

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestComplete(t *testing.T) {
	ly := &Layer{ID: "places", Features: []*Feature{
		{ID: "a", Properties: map[string]any{PropID: "a", "n": 1.0}},
		{ID: "b", Properties: map[string]any{PropID: "b", PropExtendsBeyond: true, "beyond_note": "x", "empty": nil}},
	}}
	ly.Complete()
	want := []map[string]any{
		{PropID: "a", "n": 1.0, PropExtendsBeyond: false, "beyond_note": nil, "empty": nil},
		{PropID: "b", "n": nil, PropExtendsBeyond: true, "beyond_note": "x", "empty": nil},
	}
	for i, f := range ly.Features {
		if diff := cmp.Diff(want[i], f.Properties); diff != "" {
			t.Errorf("feature %s (-want +got):\n%s", f.ID, diff)
		}
	}
	wantFields := []Field{{PropID, FieldText}, {"beyond_note", FieldText}, {"empty", FieldText}, {PropExtendsBeyond, FieldBoolean}, {"n", FieldInteger}}
	if diff := cmp.Diff(wantFields, ly.Fields()); diff != "" {
		t.Errorf("Fields (-want +got):\n%s", diff)
	}
}
