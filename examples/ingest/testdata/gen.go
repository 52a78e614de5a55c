//go:build ignore

// Gen writes the sample screenshots of testdata/sample/screenshots: three
// small PNGs with distinctive pixels that a browser test can check after a
// round trip through the vault.
//
//	go run gen.go   (from examples/ingest/testdata)
//
// The files and what a test can expect of them:
//
//	Screenshot 2024-03-01 at 10.15.32.png  120×80, every pixel #E6194B (crimson)
//	Screenshot_20240302-111213.png         96×96, 8-pixel checkerboard of #3CB44B (green)
//	                                        and #FFFFFF; pixel (0,0) is green, (8,0) white
//	ocean-quadrants.png                    160×90, quadrants: top left #4363D8 (blue),
//	                                        top right #FFE119 (yellow), bottom left
//	                                        #911EB4 (purple), bottom right #000000
//
// The encoder's output is deterministic, so the committed files do not
// change when this program runs again.
package main

import (
	"image"
	"image/color"
	"image/png"
	"log"
	"os"
	"path/filepath"
)

func main() {
	dir := filepath.Join("sample", "screenshots")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		log.Fatal(err)
	}
	crimson := color.NRGBA{0xE6, 0x19, 0x4B, 0xFF}
	green := color.NRGBA{0x3C, 0xB4, 0x4B, 0xFF}
	white := color.NRGBA{0xFF, 0xFF, 0xFF, 0xFF}
	blue := color.NRGBA{0x43, 0x63, 0xD8, 0xFF}
	yellow := color.NRGBA{0xFF, 0xE1, 0x19, 0xFF}
	purple := color.NRGBA{0x91, 0x1E, 0xB4, 0xFF}
	black := color.NRGBA{0x00, 0x00, 0x00, 0xFF}

	write(filepath.Join(dir, "Screenshot 2024-03-01 at 10.15.32.png"), 120, 80, func(x, y int) color.NRGBA {
		return crimson
	})
	write(filepath.Join(dir, "Screenshot_20240302-111213.png"), 96, 96, func(x, y int) color.NRGBA {
		if (x/8+y/8)%2 == 0 {
			return green
		}
		return white
	})
	write(filepath.Join(dir, "ocean-quadrants.png"), 160, 90, func(x, y int) color.NRGBA {
		switch {
		case x < 80 && y < 45:
			return blue
		case y < 45:
			return yellow
		case x < 80:
			return purple
		}
		return black
	})
}

func write(path string, w, h int, at func(x, y int) color.NRGBA) {
	img := image.NewNRGBA(image.Rect(0, 0, w, h))
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			img.SetNRGBA(x, y, at(x, y))
		}
	}
	f, err := os.Create(path)
	if err != nil {
		log.Fatal(err)
	}
	if err := png.Encode(f, img); err != nil {
		log.Fatal(err)
	}
	if err := f.Close(); err != nil {
		log.Fatal(err)
	}
}
