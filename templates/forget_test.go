package templates

// The forget messages' samples, kept beside their templates; TestGolden
// and TestGoldenVariants render them with the rest.
func init() {
	booked := []Event{{Title: sampleEvent.Title, When: sampleEvent.When, Where: sampleEvent.Where, Places: 2}}
	waiting := []Event{{Title: "By your side", When: "Thursday 26 August 2027, 10am to 11am", Where: "Weymouth", Places: 1}}
	samples["forget"] = Forget{Name: "Mary", Stage: "ask", Booked: booked, Waiting: waiting, LeftList: true}
	samples["forgotten"] = Forget{Name: "Mary", Booked: booked}
	variants["forget-plain"] = struct {
		template string
		data     any
	}{"forget", Forget{Stage: "ask"}}
	variants["forget-kept"] = struct {
		template string
		data     any
	}{"forget", Forget{Name: "Mary", Stage: "kept"}}
	variants["forget-unsure"] = struct {
		template string
		data     any
	}{"forget", Forget{Name: "Mary", Stage: "unsure", Booked: booked}}
	variants["forgotten-plain"] = struct {
		template string
		data     any
	}{"forgotten", Forget{}}
}
