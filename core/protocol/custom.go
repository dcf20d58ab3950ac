package protocol

import (
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
)

// singleKey returns the only key and value of a one-key JSON object.
func singleKey(tree any, path string) (string, map[string]any, *fieldErr) {
	obj, ok := tree.(map[string]any)
	if !ok {
		return "", nil, &fieldErr{path: path, err: ErrWrongType, detail: "expected object, got " + jsonKind(tree)}
	}
	if len(obj) != 1 {
		return "", nil, &fieldErr{path: path, err: ErrWrongType, detail: fmt.Sprintf("expected exactly one key, got %d", len(obj))}
	}
	for k, v := range obj {
		body, ok := v.(map[string]any)
		if !ok {
			return "", nil, &fieldErr{path: join(path, k), err: ErrWrongType, detail: "expected object, got " + jsonKind(v)}
		}
		return k, body, nil
	}
	panic("unreachable")
}

// decodeFields fills the listed fields of body; required ones must be present
// and, unless lenient, no other key may be.
func (w *walker) decodeFields(body map[string]any, path string, fields map[string]any, required ...string) *fieldErr {
	for k, v := range body {
		dst, ok := fields[k]
		if !ok {
			if w.lenient {
				continue
			}
			return &fieldErr{path: join(path, k), err: ErrUnknownField}
		}
		if fe := w.decode(v, ptrValue(dst), join(path, k)); fe != nil {
			return fe
		}
	}
	for _, r := range required {
		if _, ok := body[r]; !ok {
			return &fieldErr{path: join(path, r), err: ErrMissingField}
		}
	}
	return nil
}

func (c *OutputCommand) decodeTree(w *walker, tree any, path string) *fieldErr {
	k, body, fe := singleKey(tree, path)
	if fe != nil {
		return fe
	}
	t, err := ParseOutputType(k)
	if err != nil {
		return &fieldErr{path: join(path, k), err: ErrInvalidEnum, detail: fmt.Sprintf("OutputType %q", k)}
	}
	*c = OutputCommand{Type: t}
	p := join(path, k)
	if t == OutputHwPositionWithDuration {
		var v uint32
		if fe := w.decodeFields(body, p, map[string]any{"Value": &v, "Duration": &c.Duration}, "Value", "Duration"); fe != nil {
			return fe
		}
		if v > 1<<31-1 {
			return &fieldErr{path: join(p, "Value"), err: ErrOutOfRange, detail: strconv.FormatUint(uint64(v), 10)}
		}
		c.Value = int32(v)
		return nil
	}
	return w.decodeFields(body, p, map[string]any{"Value": &c.Value}, "Value")
}

// MarshalJSON writes the single-key command object.
func (c OutputCommand) MarshalJSON() ([]byte, error) {
	return c.appendJSON(nil)
}

func (c OutputCommand) appendJSON(b []byte) ([]byte, error) {
	if !c.Type.Valid() {
		return nil, fmt.Errorf("%w: OutputType %q", ErrInvalidEnum, c.Type)
	}
	if c.Type == OutputHwPositionWithDuration && c.Value < 0 {
		return nil, fmt.Errorf("%w: HwPositionWithDuration value %d is negative", ErrOutOfRange, c.Value)
	}
	b = append(b, `{"`...)
	b = append(b, c.Type...)
	b = append(b, `":{"Value":`...)
	b = strconv.AppendInt(b, int64(c.Value), 10)
	if c.Type == OutputHwPositionWithDuration {
		b = append(b, `,"Duration":`...)
		b = strconv.AppendUint(b, uint64(c.Duration), 10)
	}
	return append(b, "}}"...), nil
}

func (r *InputValue) decodeTree(w *walker, tree any, path string) *fieldErr {
	k, body, fe := singleKey(tree, path)
	if fe != nil {
		return fe
	}
	t, err := ParseInputType(k)
	if err != nil {
		return &fieldErr{path: join(path, k), err: ErrInvalidEnum, detail: fmt.Sprintf("InputType %q", k)}
	}
	*r = InputValue{Type: t}
	return w.decodeFields(body, join(path, k), map[string]any{"Value": &r.Value}, "Value")
}

// MarshalJSON writes the single-key reading object.
func (r InputValue) MarshalJSON() ([]byte, error) {
	if !r.Type.Valid() {
		return nil, fmt.Errorf("%w: InputType %q", ErrInvalidEnum, r.Type)
	}
	b := append([]byte(`{"`), r.Type...)
	b = append(b, `":{"Value":`...)
	b = strconv.AppendInt(b, int64(r.Value), 10)
	return append(b, "}}"...), nil
}

func (l *RangeList) decodeTree(w *walker, tree any, path string) *fieldErr {
	arr, ok := tree.([]any)
	if !ok {
		return &fieldErr{path: path, err: ErrWrongType, detail: "expected array, got " + jsonKind(tree)}
	}
	if len(arr) > 0 {
		if _, flat := arr[0].(json.Number); flat {
			// [min,max] written without the outer list.
			var r Range
			if fe := w.decode(tree, ptrValue(&r), path); fe != nil {
				return fe
			}
			*l = RangeList{r}
			return nil
		}
	}
	out := make(RangeList, len(arr))
	for i, item := range arr {
		if fe := w.decode(item, ptrValue(&out[i]), fmt.Sprintf("%s[%d]", path, i)); fe != nil {
			return fe
		}
	}
	*l = out
	return nil
}

func (b *ByteArray) decodeTree(w *walker, tree any, path string) *fieldErr {
	var ints []uint8
	if fe := w.decode(tree, ptrValue(&ints), path); fe != nil {
		return fe
	}
	*b = ByteArray(ints)
	return nil
}

// MarshalJSON writes the bytes as an array of numbers.
func (b ByteArray) MarshalJSON() ([]byte, error) {
	out := make([]byte, 0, 2+4*len(b))
	out = append(out, '[')
	for i, x := range b {
		if i > 0 {
			out = append(out, ',')
		}
		out = strconv.AppendUint(out, uint64(x), 10)
	}
	return append(out, ']'), nil
}

// Equal reports whether two byte arrays hold the same bytes.
func (b ByteArray) Equal(o ByteArray) bool { return slices.Equal(b, o) }
