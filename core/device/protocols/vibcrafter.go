package protocols

import (
	"context"
	"crypto/sha256"
	"fmt"
	"math/rand/v2"
	"regexp"
	"time"

	"github.com/bphost/bphost/core/device/comm"
	"github.com/bphost/bphost/core/device/config"
	"github.com/bphost/bphost/core/protocol"
)

// VibCrafter: ASCII commands AES-128-ECB encrypted (PKCS#7) with a fixed
// key, on tx; answers on rx. At connect the host sends "Auth:<6 random
// letters or digits>;"; the toy answers "OK;" or a challenge
// "<4 characters>:<token>;", which the host answers with
// "Auth:<first two bytes of SHA-256(token), hex>;", until "OK;". Both motors
// then travel in "MtInt:<m1><m2>;", two decimal digits each.

var vibcrafterKey = []byte("jdk#Cra%f5Vib28r")

var vibcrafterChallenge = regexp.MustCompile(`^[a-zA-Z0-9]{4}:([a-zA-Z0-9]+);$`)

const (
	vibcrafterReplyTimeout = 3 * time.Second
	// vibcrafterMaxRounds bounds the challenges a toy may send before the
	// handshake is given up.
	vibcrafterMaxRounds = 8
)

func init() {
	Register("vibcrafter", func() Protocol { return initFunc(vibcrafter{token: vibcrafterToken}.init) })
	RegisterSimulator("vibcrafter", vibcrafterSim{})
}

// vibcrafterToken returns 6 random letters and digits.
func vibcrafterToken() string {
	const alnum = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
	b := make([]byte, 6)
	for i := range b {
		b[i] = alnum[rand.IntN(len(alnum))]
	}
	return string(b)
}

// vibcrafterAnswer is the answer to a challenge token.
func vibcrafterAnswer(token string) string {
	sum := sha256.Sum256([]byte(token))
	return fmt.Sprintf("Auth:%02x%02x;", sum[0], sum[1])
}

type vibcrafter struct {
	// token makes the opening "Auth:" token; tests fix it.
	token func() string
}

func (p vibcrafter) init(ctx context.Context, link Link, def *config.Definition) (Handler, error) {
	lis := link.Listen(comm.EndpointRx)
	defer lis.Close()
	if err := link.Subscribe(ctx, comm.EndpointRx); err != nil {
		return nil, fmt.Errorf("vibcrafter: subscribe rx: %w", err)
	}
	send := "Auth:" + p.token() + ";"
	for range vibcrafterMaxRounds {
		if err := link.Write(ctx, comm.EndpointTx, ecbEncrypt(vibcrafterKey, []byte(send)), false); err != nil {
			return nil, fmt.Errorf("vibcrafter: send %q: %w", send, err)
		}
		data, ok, err := awaitNotification(ctx, lis, vibcrafterReplyTimeout)
		if err != nil {
			return nil, fmt.Errorf("vibcrafter: answer to %q: %w", send, err)
		}
		if !ok {
			return nil, fmt.Errorf("vibcrafter: no answer to %q in %v", send, vibcrafterReplyTimeout)
		}
		reply, err := ecbDecrypt(vibcrafterKey, data, "vibcrafter")
		if err != nil {
			return nil, err
		}
		if string(reply) == "OK;" {
			return vibcrafterHandler(def), nil
		}
		m := vibcrafterChallenge.FindSubmatch(reply)
		if m == nil {
			return nil, fmt.Errorf("%w: vibcrafter handshake answer %q", ErrBadReply, reply)
		}
		send = vibcrafterAnswer(string(m[1]))
	}
	return nil, fmt.Errorf("%w: vibcrafter handshake not accepted after %d answers", ErrBadReply, vibcrafterMaxRounds)
}

func vibcrafterHandler(def *config.Definition) Handler {
	return combined(def, comm.EndpointTx, false, isType(protocol.OutputVibrate), func(s *state) []byte {
		return ecbEncrypt(vibcrafterKey, fmt.Appendf(nil, "MtInt:%02d%02d;", s.get(0), s.get(1)))
	})
}

// vibcrafterSim challenges every "Auth:" token and accepts the right
// answer.
type vibcrafterSim struct{ SimBase }

// vibcrafterSimToken is the simulated toy's challenge token.
const vibcrafterSimToken = "a1b2c3"

func (vibcrafterSim) Respond(_ *SimState, ep comm.Endpoint, data []byte) []comm.Notification {
	if ep != comm.EndpointTx {
		return nil
	}
	msg, err := ecbDecrypt(vibcrafterKey, data, "vibcrafter")
	if err != nil {
		return nil
	}
	var reply string
	switch s := string(msg); {
	case s == vibcrafterAnswer(vibcrafterSimToken):
		reply = "OK;"
	case len(s) == len("Auth:123456;") && s[:5] == "Auth:":
		reply = "Chal:" + vibcrafterSimToken + ";"
	default:
		return nil
	}
	return []comm.Notification{{Endpoint: comm.EndpointRx, Data: ecbEncrypt(vibcrafterKey, []byte(reply))}}
}
