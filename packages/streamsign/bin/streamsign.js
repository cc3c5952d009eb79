#!/usr/bin/env node
// A committed stub, so npm links the bin at install time, before the first build.
import "../dist/cli/bin.js";
