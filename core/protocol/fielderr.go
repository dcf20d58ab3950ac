package protocol

import "strconv"

// fieldErr is a decoding or validation failure inside a message body. Its
// path is built leaf first as the error travels back up, so decoding a good
// message never formats a path.
type fieldErr struct {
	segs   []pathSeg // innermost first
	err    error
	detail string
}

// pathSeg is one step of a field path: a field name joined with a dot, or a
// raw suffix such as "[3]" or `["key"]`.
type pathSeg struct {
	s    string
	join bool
}

// at prefixes the path with a field name.
func (fe *fieldErr) at(name string) *fieldErr {
	fe.segs = append(fe.segs, pathSeg{s: name, join: true})
	return fe
}

// index prefixes the path with a list index.
func (fe *fieldErr) index(i int) *fieldErr {
	return fe.raw("[" + strconv.Itoa(i) + "]")
}

// raw prefixes the path with s, written as is.
func (fe *fieldErr) raw(s string) *fieldErr {
	fe.segs = append(fe.segs, pathSeg{s: s})
	return fe
}

// path is the field path, e.g. `Devices["0"].DeviceFeatures["1"].FeatureIndex`,
// written exactly as joining the steps from the root would write it.
func (fe *fieldErr) path() string {
	p := ""
	for i := len(fe.segs) - 1; i >= 0; i-- {
		if s := fe.segs[i]; s.join {
			p = join(p, s.s)
		} else {
			p += s.s
		}
	}
	return p
}

// Error makes a fieldErr an error, so that the library's unmarshalers can
// return it.
func (fe *fieldErr) Error() string {
	s := fe.err.Error()
	if p := fe.path(); p != "" {
		s = p + ": " + s
	}
	if fe.detail != "" {
		s += ": " + fe.detail
	}
	return s
}
