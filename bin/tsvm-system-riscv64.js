#!/usr/bin/env -S node --v8-pool-size=1
import { start } from '../dist/src/host/node/cli/system-riscv64.js';

start();
