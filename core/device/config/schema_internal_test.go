package config

import "testing"

func TestIsUUID(t *testing.T) {
	for _, c := range []struct {
		in   string
		want bool
	}{
		{"5d434198-4697-4b00-985e-33788fc955d1", true},
		{"5D434198-4697-4B00-985E-33788FC955D1", true},
		{"00000000-0000-0000-0000-000000000000", true},
		{"5d434198-4697-4b00-985e-33788fc955d", false},   // short
		{"5d434198-4697-4b00-985e-33788fc955d11", false}, // long
		{"5d434198x4697-4b00-985e-33788fc955d1", false},  // dash missing
		{"5d434198-4697-4b00-985e-33788fc955g1", false},  // not hex
		{"5d4341984-697-4b00-985e-33788fc955d1", false},  // dash misplaced
		{"", false},
	} {
		if got := isUUID(c.in); got != c.want {
			t.Errorf("isUUID(%q) = %v, want %v", c.in, got, c.want)
		}
		if got := isUUID([]byte(c.in)); got != c.want {
			t.Errorf("isUUID([]byte(%q)) = %v, want %v", c.in, got, c.want)
		}
	}
}

func TestPathKey(t *testing.T) {
	for k, want := range map[string]string{
		"version": "$.version", "user_configs": "$.user_configs", "_x-1": "$._x-1", "a9": "$.a9",
		"": `$[""]`, "9a": `$["9a"]`, "-a": `$["-a"]`, "0000eea0-0000": `$["0000eea0-0000"]`, "a b": `$["a b"]`, "é": `$["é"]`,
	} {
		if got := path("$").key(k); string(got) != want {
			t.Errorf("key(%q) = %s, want %s", k, got, want)
		}
	}
}
