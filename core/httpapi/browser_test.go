package httpapi_test

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"github.com/bphost/bphost/core/client"
	"github.com/bphost/bphost/core/device/simulated"
)

// browserTimeout bounds the whole browser test, start-up of chromium
// included, so that it can never hang CI.
const browserTimeout = 3 * time.Minute

// chromium finds Debian's chromium (or another Chrome) on PATH.
func chromium() string {
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome", "headless-shell"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	return ""
}

// screenshotDir is where the panel's screenshots go: $BPHOST_PANEL_SCREENSHOTS
// (make panel-screenshot points it at docs/), else the test's artifact
// directory.
func screenshotDir(t *testing.T) string {
	if d := os.Getenv("BPHOST_PANEL_SCREENSHOTS"); d != "" {
		return d
	}
	return t.ArtifactDir()
}

// The panel in a real browser: open it, scan, see the simulated Lovense
// Hush, move its vibrate control to half (the toy receives Vibrate:10;),
// press stop-all (Vibrate:0;); at desktop width and at a phone's 390 px.
func TestPanelInBrowser(t *testing.T) {
	exe := chromium()
	if exe == "" {
		t.Skip("no chromium on PATH: install Debian's chromium (apt-get install chromium) to run the panel's browser test")
	}
	r := newRig(t, false)
	ctx, cancel := context.WithTimeout(context.Background(), browserTimeout)
	defer cancel()
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(exe),
		chromedp.NoSandbox, // CI runs as root
		chromedp.Flag("disable-gpu", true),
		chromedp.WindowSize(1100, 760),
	)
	actx, cancelAlloc := chromedp.NewExecAllocator(ctx, opts...)
	defer cancelAlloc()
	bctx, cancelBrowser := chromedp.NewContext(actx, chromedp.WithLogf(t.Logf))
	defer cancelBrowser()
	defer func() { _ = chromedp.Cancel(bctx) }() // closes the browser, waits for it
	// The first run starts the browser, for the life of the context it is
	// given: bctx, not a step's shorter one.
	if err := chromedp.Do(bctx); err != nil {
		t.Fatalf("start %s: %v", exe, err)
	}

	hush := r.sim("Lovense Hush")
	dir := screenshotDir(t)
	step := func(what string, acts ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		sctx, cancel := context.WithTimeout(bctx, time.Minute)
		defer cancel()
		if err := chromedp.Do(sctx, acts...); err != nil {
			t.Fatalf("%s: %v", what, err)
		}
	}
	shot := func(name string) {
		t.Helper()
		sctx, cancel := context.WithTimeout(bctx, time.Minute)
		defer cancel()
		png, err := chromedp.Run(sctx, chromedp.FullScreenshot(100))
		if err != nil {
			t.Fatalf("screenshot: %v", err)
		}
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, png, 0o644); err != nil {
			t.Fatal(err)
		}
		t.Logf("screenshot %s (%d bytes)", path, len(png))
	}
	logHas := func(text string) chromedp.Action[chromedp.Void] {
		return chromedp.Poll[chromedp.Void](fmt.Sprintf(`document.querySelector("#log").textContent.includes(%q)`, text),
			chromedp.WithPollingTimeout(time.Minute))
	}
	const slider = `.device[data-name="Lovense Hush"] input[data-output="Vibrate"]`
	// vibrateHalf moves the control as a person does with the keyboard: 50
	// steps of 1% to the right.
	vibrateHalf := func() {
		t.Helper()
		step("focus the vibrate control", chromedp.Focus(chromedp.CSS(slider)))
		step("move it to half", chromedp.KeyEvent(strings.Repeat(kb.ArrowRight, 50)))
		v, err := chromedp.Run(bctx, chromedp.Value(chromedp.CSS(slider)))
		if err != nil || v != "0.5" {
			t.Fatalf("vibrate control at %q (%v), want 0.5", v, err)
		}
		lastWrite(t, hush, "Vibrate:10;")
		step("the log shows the bytes the toy received", logHas(`"Vibrate:10;"`))
	}
	stopAll := func() {
		t.Helper()
		step("press stop all", chromedp.Click(chromedp.CSS("#stop-all")))
		lastWrite(t, hush, "Vibrate:0;")
		step("the log shows the stop", logHas(`"Vibrate:0;"`))
		v, err := chromedp.Run(bctx, chromedp.Value(chromedp.CSS(slider)))
		if err != nil || v != "0" {
			t.Fatalf("vibrate control at %q after stop (%v), want 0", v, err)
		}
	}

	step("open the panel", chromedp.Navigate(r.ts.URL+"/"), chromedp.WaitVisible(chromedp.CSS("#scan")),
		chromedp.Poll[chromedp.Void](`document.querySelector("#stream-state").textContent === "live"`, chromedp.WithPollingTimeout(time.Minute)))
	step("scan", chromedp.Click(chromedp.CSS("#scan")))
	step("see the Lovense Hush", chromedp.WaitVisible(chromedp.CSS(slider)))
	// An app connected to the Buttplug server shows in the status.
	app := client.New("Example app")
	if err := app.Connect(ctx, r.e.Connector()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = app.Disconnect(context.Background()) })
	step("see the connected app", chromedp.Poll[chromedp.Void](`document.querySelector("#client").textContent.includes("Example app")`,
		chromedp.WithPollingTimeout(time.Minute)))
	step("read the battery", chromedp.Click(chromedp.CSS(`.device[data-name="Lovense Hush"] button.battery`)),
		chromedp.Poll[chromedp.Void](fmt.Sprintf(`document.querySelector('.device[data-name="Lovense Hush"] .battery-level').textContent === "%d%%"`, simulated.DefaultBattery),
			chromedp.WithPollingTimeout(time.Minute)))
	vibrateHalf()
	shot("panel.png")
	stopAll()

	// A phone: 390 px wide. Nothing may stick out sideways.
	step("phone viewport", chromedp.EmulateViewport(390, 844, chromedp.EmulatePortrait, chromedp.EmulateMobile, chromedp.EmulateScale(2)),
		chromedp.Navigate(r.ts.URL+"/"), chromedp.WaitVisible(chromedp.CSS(slider)))
	width, err := chromedp.Run(bctx, chromedp.Evaluate[int](`document.documentElement.scrollWidth`))
	if err != nil || width > 390 {
		t.Fatalf("page is %d px wide at a 390 px viewport (%v)", width, err)
	}
	right, err := chromedp.Run(bctx, chromedp.Evaluate[float64](
		`Math.max(...[...document.querySelectorAll("button, input, output")].map(e => e.getBoundingClientRect().right))`))
	if err != nil || right > 390 {
		t.Fatalf("a control ends at %g px, beyond 390 (%v)", right, err)
	}
	vibrateHalf()
	shot("panel-phone.png")
	stopAll()
}
