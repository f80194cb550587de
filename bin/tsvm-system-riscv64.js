#!/usr/bin/env node
import { start } from '../dist/src/host/node/cli/system-riscv64.js';

start();
