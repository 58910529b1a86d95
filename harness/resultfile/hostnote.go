package resultfile

import "github.com/rolloutlab/rolloutlab/harness/verdict"

// finishHostLoad samples the host at the end of a boot that Host sampled
// at its start, and names the load in every cell whose load fell behind.
func finishHostLoad(f *File) {
	if f.Host.start != nil && f.Host.Load == nil {
		f.Host.Load = hostLoad(*f.Host.start, sampleHost())
		f.Host.start = nil
	}
	noteHostLoad(f)
}

// noteHostLoad adds the boot's host load to the lag reason of its cells
// (verdict.NoteHostLoad); a file without a recorded load is left as is.
func noteHostLoad(f *File) {
	desc := f.Host.Load.Describe(f.Host.CPUs)
	for i := range f.Cells {
		verdict.NoteHostLoad(&f.Cells[i].Verdict, f.Cells[i].Result, desc)
	}
}
